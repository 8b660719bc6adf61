"""Elementwise maths of one tensor: exp, log, sqrt, abs, clamp, sign, sin, cos."""
from ..autograd import Function, Tensor
from ..backend import array_module


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


# clamp(a, lo, hi): gradient passes where lo ≤ a ≤ hi (bounds inclusive, as PyTorch)
class Clamp(Function):
    def forward(self, a, lo, hi):
        self.a, self.lo, self.hi = a, lo, hi
        return array_module(a).clip(a, lo, hi)

    def backward(self, g):
        mask = True
        if self.lo is not None:
            mask = self.a >= self.lo
        if self.hi is not None:
            mask = mask & (self.a <= self.hi)
        return g * mask


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def abs(a):  # noqa: A001 - PyTorch's name
    return Abs.apply(a)


def sign(a):
    return Sign.apply(a)


def sin(a):
    return Sin.apply(a)


def cos(a):
    return Cos.apply(a)


def clamp(a, min=None, max=None):  # noqa: A002 - PyTorch's names
    """Limit `a` to [min, max]; bounds are numbers or constant tensors (broadcast)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    bounds = []
    for name, b in (("min", min), ("max", max)):
        if isinstance(b, Tensor):
            if b.requires_grad:
                raise ValueError(f"clamp: {name} is a tensor that requires grad; gradients with "
                                 "respect to the bounds are not supported, use maximum/minimum")
            b = b._data
        bounds.append(b)
    return Clamp.apply(a, lo=bounds[0], hi=bounds[1])


clip = clamp
