"""Lower and upper triangles of the last two dimensions: tril, triu (y = a·mask, da = dy·mask)."""
from ..autograd import Function
from ..backend import array_module


class Triangle(Function):
    needs_inputs = False

    def forward(self, a, diagonal, lower):
        self.diagonal, self.lower = diagonal, lower
        return self.cut(a)

    def backward(self, g):
        return self.cut(g)

    def cut(self, a):
        xp = array_module(a)
        return xp.tril(a, self.diagonal) if self.lower else xp.triu(a, self.diagonal)


def _check(a, op):
    if a.ndim < 2:
        raise ValueError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                         f"{tuple(a.shape)}")


def tril(a, diagonal=0):
    _check(a, "tril")
    return Triangle.apply(a, diagonal=int(diagonal), lower=True)


def triu(a, diagonal=0):
    _check(a, "triu")
    return Triangle.apply(a, diagonal=int(diagonal), lower=False)
