"""Undoing broadcasting in backward, and naming the op when shapes don't broadcast."""
from ..autograd import Tensor


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting `shape` up to grad.shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def broadcast_error(op, a, b):
    return ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast "
                      "together")


def as_tensor_like(value, like):
    """Wrap a non-Tensor operand (array, list) as a constant Tensor of `like`'s dtype family."""
    if isinstance(value, Tensor):
        return value
    t = Tensor(value)
    if t.data.dtype.kind == "f" and like.data.dtype.kind == "f" and t.data.dtype != like.dtype:
        t.data = t.data.astype(like.data.dtype)
    return t
