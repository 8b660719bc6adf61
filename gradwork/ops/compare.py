"""Comparisons (no gradient), elementwise maximum/minimum and where."""
from ..autograd import Function, Tensor
from ..backend import array_module
from .broadcast import apply_broadcasting, as_tensor_like, promote_pair, unbroadcast


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _compare(fn):
    def op(a, b):
        return Tensor._make(fn(a._data, _data(b)), False, None, 0)
    return op


eq = _compare(lambda a, b: a == b)
ne = _compare(lambda a, b: a != b)
lt = _compare(lambda a, b: a < b)
le = _compare(lambda a, b: a <= b)
gt = _compare(lambda a, b: a > b)
ge = _compare(lambda a, b: a >= b)

# bitwise/logical ops of bool and integer tensors (no gradient), as PyTorch's & | ^ ~
bitwise_and = _compare(lambda a, b: a & b)
bitwise_or = _compare(lambda a, b: a | b)
bitwise_xor = _compare(lambda a, b: a ^ b)
logical_and = _compare(lambda a, b: array_module(a).logical_and(a, b))
logical_or = _compare(lambda a, b: array_module(a).logical_or(a, b))
logical_xor = _compare(lambda a, b: array_module(a).logical_xor(a, b))


def bitwise_not(a):
    if a._data.dtype.kind == "f":
        raise TypeError(f"bitwise_not: expected a bool or integer tensor, got {a.dtype}")
    return Tensor._make(~a._data, False, None, 0)


def logical_not(a):
    return Tensor._make(array_module(a._data).logical_not(a._data), False, None, 0)


# ∂max(a,b)/∂a = 1 where a > b, ½ where a = b (PyTorch splits ties evenly)
class Maximum(Function):
    sign = 1

    def forward(self, a, b):
        self.a, self.b = a, b
        xp = array_module(a)
        return xp.maximum(a, b) if self.sign > 0 else xp.minimum(a, b)

    def backward(self, g):
        wins_a = (self.a > self.b) if self.sign > 0 else (self.a < self.b)
        tie = self.a == self.b
        share_a = wins_a + g.dtype.type(0.5) * tie          # in g's dtype, never float64
        ga = unbroadcast(g * share_a, self.a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * (1 - share_a), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Minimum(Maximum):
    sign = -1


# where(c, a, b): the gradient goes to a where c holds, to b elsewhere
class Where(Function):
    def forward(self, cond, a, b):
        self.cond, self.shapes = cond, (a.shape, b.shape)
        return array_module(a).where(cond, a, b)

    def backward(self, g):
        zero = g.dtype.type(0)
        ga = unbroadcast(array_module(g).where(self.cond, g, zero), self.shapes[0]) \
            if self.needs_input_grad[1] else None
        gb = unbroadcast(array_module(g).where(self.cond, zero, g), self.shapes[1]) \
            if self.needs_input_grad[2] else None
        return None, ga, gb


def maximum(a, b):
    return apply_broadcasting(Maximum, "maximum", a, b)


def minimum(a, b):
    return apply_broadcasting(Minimum, "minimum", a, b)


def where(condition, a, b):
    """Elements of `a` where `condition` holds, else of `b` (all three broadcast; `a` or `b`
    may be Python numbers, which take the tensor's dtype as PyTorch's scalars do)."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and not tb:
        b = _scalar_like(b, a)
    elif tb and not ta:
        a = _scalar_like(a, b)
    elif not (ta or tb):
        a = Tensor(a)
        b = _scalar_like(b, a)
    if a._data.dtype != b._data.dtype:
        a, b = promote_pair(a, b)
    cond = condition if isinstance(condition, Tensor) else Tensor(condition)
    try:
        return Where.apply(cond, a, b)
    except ValueError as e:
        raise ValueError(f"where: condition {tuple(cond.shape)}, input {tuple(a.shape)} and "
                         f"other {tuple(b.shape)} cannot be broadcast together") from e


def _scalar_like(value, like):
    """A Python number as a 0-d tensor: in `like`'s dtype unless a float meets an integer
    tensor (then the default float dtype), as PyTorch's type promotion for scalars."""
    t = as_tensor_like(value, like)
    if t.ndim == 0 and not isinstance(value, Tensor) and not hasattr(value, "dtype"):
        if t._data.dtype.kind == like._data.dtype.kind or (
                like._data.dtype.kind == "f" and t._data.dtype.kind in "iub"):
            t = Tensor._make(t._data.astype(like._data.dtype), False, None, 0)
    return t


def masked_fill(a, mask, value):
    """`a` with `value` written where `mask` is True (broadcast); no gradient to those places."""
    fill = Tensor(array_module(a._data).asarray(value, dtype=a.dtype))
    return where(mask, fill, a)
