"""Elementwise maths of one tensor: exp, log, sqrt, abs, clamp, sign, sin, cos, round, nan_to_num
and the predicates isnan, isinf, isfinite."""
from ..autograd import Function, Tensor
from ..backend import array_module
from .broadcast import unbroadcast


# d exp(a) = exp(a) da
class Exp(Function):
    needs_inputs, needs_output = False, True

    def forward(self, a):
        self.out = array_module(a).exp(a)
        return self.out

    def backward(self, g):
        return g * self.out


# d ln(a) = da / a
class Log(Function):
    def forward(self, a):
        self.a = a
        return array_module(a).log(a)

    def backward(self, g):
        return g / self.a


# d √a = da / (2√a)
class Sqrt(Function):
    needs_inputs, needs_output = False, True

    def forward(self, a):
        self.out = array_module(a).sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


# d|a| = sign(a) da  (0 at a = 0, as PyTorch)
class Abs(Function):
    def forward(self, a):
        self.a = a
        return array_module(a).abs(a)

    def backward(self, g):
        return g * array_module(g).sign(self.a)


class Sign(Function):
    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        return array_module(a).sign(a)

    def backward(self, g):
        return array_module(g).zeros(self.shape, self.dtype)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return array_module(a).sin(a)

    def backward(self, g):
        return g * array_module(g).cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return array_module(a).cos(a)

    def backward(self, g):
        return -g * array_module(g).sin(self.a)


# clamp(a, lo, hi) = min(max(a, lo), hi): the gradient goes to a where lo ≤ a ≤ hi (inclusive,
# as PyTorch), to lo where a < lo ≤ hi, to hi where the result is hi and a is not; bounds are
# numbers, None, or tensors that broadcast (and may require grad).
class Clamp(Function):
    def forward(self, a, lo, hi, lo_c, hi_c):
        lo = lo if lo is not None else lo_c
        hi = hi if hi is not None else hi_c
        self.a, self.lo, self.hi = a, lo, hi
        return array_module(a).clip(a, lo, hi)

    def backward(self, g):
        xp = array_module(g)
        low = xp.less(self.a, self.lo) if self.lo is not None else False
        high = xp.greater(self.a, self.hi) if self.hi is not None else False
        if self.lo is not None and self.hi is not None:
            swapped = xp.greater(self.lo, self.hi)              # the result is hi everywhere
            high = xp.logical_or(high, swapped)
            low = xp.logical_and(low, xp.logical_not(swapped))
        to_a = xp.logical_not(xp.logical_or(low, high))
        zero = g.dtype.type(0)
        ga = xp.where(to_a, g, zero) if self.needs_input_grad[0] else None
        glo = _bound_grad(xp.where(low, g, zero), self.lo) if self.needs_input_grad[1] else None
        ghi = _bound_grad(xp.where(high, g, zero), self.hi) if self.needs_input_grad[2] else None
        return ga, glo, ghi


def _bound_grad(g, bound):
    return unbroadcast(g, bound.shape).astype(bound.dtype, copy=False)


# round, isnan, isinf, isfinite: piecewise constant (zero gradient) or boolean (none)
class Round(Function):
    needs_inputs = False

    def forward(self, a, decimals):
        self.shape, self.dtype = a.shape, a.dtype
        return array_module(a).round(a, decimals)

    def backward(self, g):
        return array_module(g).zeros(self.shape, self.dtype)


# nan_to_num: NaN → nan, ±∞ → posinf/neginf (default: the dtype's extremes); da = dy where finite
class NanToNum(Function):
    def forward(self, a, nan, posinf, neginf):
        self.a = a
        return array_module(a).nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        return g * array_module(g).isfinite(self.a)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def abs(a):
    return Abs.apply(a)


def sign(a):
    return Sign.apply(a)


def sin(a):
    return Sin.apply(a)


def cos(a):
    return Cos.apply(a)


def clamp(a, min=None, max=None):
    """Limit `a` to [min, max]; bounds are numbers or tensors (broadcast, differentiable)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    tensors, consts = [], []
    for b in (min, max):
        if isinstance(b, Tensor) and b.ndim == 0 and not b.requires_grad:
            b = b.item()
        tensors.append(b if isinstance(b, Tensor) else None)
        consts.append(None if isinstance(b, Tensor) else b)
    shapes = [t.shape for t in tensors if t is not None]
    if shapes:
        shape = array_module(a._data).broadcast_shapes(a.shape, *shapes)
        if shape != a.shape:                # the bounds broadcast to the input, not beyond
            raise RuntimeError(f"clamp: output with shape {list(a.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
    return Clamp.apply(a, tensors[0], tensors[1], lo_c=consts[0], hi_c=consts[1])


def clamp_min(a, min):
    return clamp(a, min=min)


def clamp_max(a, max):
    return clamp(a, max=max)


def round(a, decimals=0):
    """Round half to even (as PyTorch), to `decimals` places."""
    return Round.apply(a, decimals=int(decimals))


def _predicate(fn):
    def op(a):
        return Tensor._make(fn(array_module(a._data), a._data), False, None, 0)
    return op


isnan = _predicate(lambda xp, a: xp.isnan(a))
isinf = _predicate(lambda xp, a: xp.isinf(a))
isfinite = _predicate(lambda xp, a: xp.isfinite(a))


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    if a._data.dtype.kind != "f":
        return a.clone()
    return NanToNum.apply(a, nan=nan, posinf=posinf, neginf=neginf)


clip = clamp
