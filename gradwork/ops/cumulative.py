"""Running sums and products along a dimension: cumsum, cumprod."""
from ..autograd import Function
from ..backend import array_module
from .reduce import normalize_dims


def _reverse_cumsum(g, dim):
    xp = array_module(g)
    return xp.flip(xp.cumsum(xp.flip(g, axis=dim), axis=dim), axis=dim)


# yᵢ = Σ_{j≤i} aⱼ;  daⱼ = Σ_{i≥j} dyᵢ
class CumSum(Function):
    needs_inputs = False

    def forward(self, a, dim):
        self.dim = dim
        return array_module(a).cumsum(a, axis=dim, dtype=a.dtype if a.dtype.kind == "f"
                                      else "int64")

    def backward(self, g):
        return _reverse_cumsum(g, self.dim)


# yᵢ = Π_{j≤i} aⱼ;  daᵢ = (Π_{k<i} aₖ)·Rᵢ with Rᵢ = dyᵢ + aᵢ₊₁Rᵢ₊₁ (exact where a has zeros)
class CumProd(Function):
    def forward(self, a, dim):
        self.a, self.dim = a, dim
        return array_module(a).cumprod(a, axis=dim, dtype=a.dtype if a.dtype.kind == "f"
                                       else "int64")

    def backward(self, g):
        xp = array_module(g)
        a, n = xp.moveaxis(self.a, self.dim, 0), self.a.shape[self.dim]
        g = xp.moveaxis(g, self.dim, 0)
        before = xp.ones_like(a)                                 # Π_{k<i} aₖ
        before[1:] = xp.cumprod(a[:-1], axis=0)
        r = xp.empty_like(g)
        if n:
            r[-1] = g[-1]
        for i in range(n - 2, -1, -1):
            r[i] = g[i] + a[i + 1] * r[i + 1]
        return xp.moveaxis(before * r, 0, self.dim)


def _run(cls, a, dim, dtype, op):
    x = a.reshape(1) if a.ndim == 0 else a                 # a 0-d input: one element
    out = cls.apply(x, dim=normalize_dims(dim, a.ndim, op)[0] if a.ndim else 0)
    out = out.reshape(a.shape) if a.ndim == 0 else out
    return out if dtype is None else out.to(dtype)


def cumsum(a, dim, dtype=None):
    return _run(CumSum, a, dim, dtype, "cumsum")


def cumprod(a, dim, dtype=None):
    return _run(CumProd, a, dim, dtype, "cumprod")
