"""Undoing broadcasting in backward, and naming the op when shapes don't broadcast."""
from .. import backend
from ..autograd import Tensor

_NDARRAY, _add_reduce = backend.np.ndarray, backend.np.add.reduce


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting `shape` up to grad.shape."""
    gshape = grad.shape
    if gshape == shape:
        return grad
    extra = len(gshape) - len(shape)
    axes = list(range(extra))
    for i, n in enumerate(shape):
        if n == 1 and gshape[i + extra] != 1:
            axes.append(i + extra)
    if axes:
        grad = _add_reduce(grad, tuple(axes), None, None, True) if type(grad) is _NDARRAY \
            else grad.sum(axis=tuple(axes), keepdims=True)
    return grad.reshape(shape) if extra else grad


def broadcast_error(op, a, b):
    return ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast "
                      "together")


def as_tensor_like(value, like):
    """Wrap a non-Tensor operand (array, list) as a constant Tensor of `like`'s dtype family."""
    if isinstance(value, Tensor):
        return value
    t = Tensor(value)
    if t._data.dtype.kind == "f" and like._data.dtype.kind == "f" and t._data.dtype != like.dtype:
        t._data = t._data.astype(like._data.dtype)
    return t


def promote_pair(a, b):
    """PyTorch's promotion of two tensors of different dtypes: an integer/bool one takes the
    other's float dtype (NumPy would give float64), and between two floats a 0-d tensor defers
    to a dimensioned one (float32 x · float64 0-d c is float32); otherwise NumPy's rule."""
    fa, fb = a._data.dtype.kind == "f", b._data.dtype.kind == "f"
    if fa and fb:
        if (a._data.ndim == 0) == (b._data.ndim == 0):
            return a, b
        dtype = b._data.dtype if a._data.ndim == 0 else a._data.dtype
    elif fa or fb:
        dtype = a._data.dtype if fa else b._data.dtype
    else:
        return a, b
    return _cast(a, dtype), _cast(b, dtype)


def result_type(tensors):
    """PyTorch's dtype for joining dimensioned tensors (cat, stack): the highest category among
    bool < integer < floating wins, and within it NumPy's rule (int32·int64 → int64,
    float16·float32 → float32); so int64 with float32 is float32, not NumPy's float64."""
    def rank(d):
        return 2 if d.kind == "f" else (1 if d.kind in "iu" else 0)
    dtypes = [t._data.dtype for t in tensors]
    top = max(rank(d) for d in dtypes)
    return backend.np.result_type(*[d for d in dtypes if rank(d) == top])


def cast(t, dtype):
    """`t` in `dtype` (a Cast node when t requires grad, so its gradient returns in t's dtype)."""
    return _cast(t, dtype)


def _cast(t, dtype):
    if t._data.dtype == dtype:
        return t
    if t.requires_grad:
        return t.to(dtype)                        # a Cast node: the gradient returns in t's dtype
    return Tensor._make(t._data.astype(dtype), False, None, 0)


def apply_broadcasting(cls, name, a, b):
    """`cls.apply(a, b)` for a binary op whose operands broadcast: `b` wrapped as a Tensor,
    PyTorch's dtype promotion, and shapes that don't broadcast named in the error."""
    if type(b) is not Tensor:
        b = as_tensor_like(b, a)
    if a._data.dtype != b._data.dtype:
        a, b = promote_pair(a, b)
    try:
        return cls.apply(a, b)
    except ValueError as e:
        raise_broadcast_error(e, name, a, b)


def raise_broadcast_error(e, name, a, b):
    """Re-raise NumPy's ValueError from op `name` on a and b; shapes that don't broadcast are
    named in PyTorch's words. (Called from an `except` clause.)"""
    if "broadcast" in str(e):
        raise broadcast_error(name, a, b) from None
    raise e
