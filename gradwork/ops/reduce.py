"""Reductions: sum, mean, var, std, max, min, amax, amin, argmax, argmin, logsumexp."""
import builtins
import math
import warnings
from collections import namedtuple

from ..autograd import Function, Tensor
from ..backend import array_module, errstate
from ..backend import np as _np
from .unary import abs as _abs

_NDARRAY, _add_reduce = _np.ndarray, _np.add.reduce

values_indices = namedtuple("values_indices", ["values", "indices"])


def normalize_dims(dim, ndim, op="reduce"):
    """`dim` (None, int or sequence) as a sorted tuple of non-negative axes (a 0-d tensor
    accepts dim 0 or -1, and reduces over nothing)."""
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and 0 <= dim < ndim:    # the common case, checked at once
        return (dim,)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = builtins.max(ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions")
    return tuple(sorted({d % n for d in dims})) if ndim else ()


def _expand_back(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    xp = _np if type(g) is _NDARRAY else array_module(g)
    if not keepdim and dims:
        g = g.reshape([1 if i in dims else n for i, n in enumerate(shape)])
    if math.prod(shape) <= 4096:
        # small: a filled array costs less than broadcast_to's Python-level view machinery
        out = xp.empty(shape, g.dtype)
        out[...] = g
        return out
    return xp.broadcast_to(g, shape)


# d Σa = 1
class Sum(Function):
    needs_inputs = False

    def forward(self, a, dims, keepdim):
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if type(a) is _NDARRAY:     # ndarray.sum's own Python wrapper, skipped: the same reduce
            out = _add_reduce(a, dims, None, None, keepdim)
        else:
            out = a.sum(axis=dims, keepdims=keepdim)
        return out if a.dtype.kind != "b" else out.astype("int64")

    def backward(self, g):
        return _expand_back(g, self.shape, self.dims, self.keepdim)


# d mean(a) = 1/n
class Mean(Function):
    needs_inputs = False

    def forward(self, a, dims, keepdim):
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        self.n = 1
        for d in dims:
            self.n *= a.shape[d]
        return a.mean(axis=dims, keepdims=keepdim)

    def backward(self, g):
        return _expand_back(g / self.n, self.shape, self.dims, self.keepdim)


# var = Σ(a − ā)² / (n − correction);  d var = 2(a − ā)/(n − correction)
class Var(Function):
    needs_inputs = False

    def forward(self, a, dims, keepdim, correction):
        self.dims, self.keepdim = dims, keepdim
        n = 1
        for d in dims:
            n *= a.shape[d]
        self.denom = builtins.max(n - correction, 0)
        if self.denom == 0:
            warnings.warn("var(): degrees of freedom is <= 0. Correction should be strictly less "
                          "than the reduction factor (input numel divided by output numel).",
                          UserWarning, stacklevel=4)
        self.centered = a - a.mean(axis=dims, keepdims=True)
        with errstate(divide="ignore", invalid="ignore"):
            return (self.centered ** 2).sum(axis=dims, keepdims=keepdim) / self.denom

    def backward(self, g):
        g = _expand_back(g, self.centered.shape, self.dims, self.keepdim)
        scale = 2 / self.denom if self.denom else float("inf")
        with errstate(invalid="ignore"):
            return g * scale * self.centered


# amax over dims: the gradient is shared evenly among tied extremes (as PyTorch's amax and
# max() without dim)
class Amax(Function):
    needs_inputs = False
    largest = True

    def forward(self, a, dims, keepdim):
        out = a.max(axis=dims, keepdims=True) if self.largest else a.min(axis=dims, keepdims=True)
        self.mask, self.dims, self.keepdim = a == out, dims, keepdim
        return out if keepdim else out.squeeze(dims)

    def backward(self, g):
        xp = array_module(g)
        if not self.keepdim:
            g = xp.expand_dims(g, self.dims)
        count = self.mask.sum(axis=self.dims, keepdims=True).astype(g.dtype)
        return self.mask * (g / count)


class Amin(Amax):
    largest = False


# max along a dim: the gradient goes to the selected index
class MaxDim(Function):
    needs_inputs = False
    largest = True

    def forward(self, a, dim, keepdim):
        xp = array_module(a)
        idx = a.argmax(axis=dim) if self.largest else a.argmin(axis=dim)
        idx = xp.expand_dims(idx, dim)
        values = xp.take_along_axis(a, idx, axis=dim)
        self.shape, self.dtype, self.idx = a.shape, a.dtype, idx
        self.dim, self.keepdim = dim, keepdim
        if not keepdim:
            return values.squeeze(dim), idx.squeeze(dim).astype("int64")
        return values, idx.astype("int64")

    def backward(self, g, _gidx):
        xp = array_module(g)
        out = xp.zeros(self.shape, self.dtype)
        if not self.keepdim:
            g = xp.expand_dims(g, self.dim)
        xp.put_along_axis(out, self.idx, g, axis=self.dim)
        return out


class MinDim(MaxDim):
    largest = False


# logsumexp(a) = m + log Σ exp(a − m);  d = softmax(a)
class LogSumExp(Function):
    needs_output = True

    def forward(self, a, dims, keepdim):
        xp = array_module(a)
        m = a.max(axis=dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.exp(a - m).sum(axis=dims, keepdims=True)
        out = xp.log(s) + m
        self.a, self.out, self.dims, self.keepdim = a, out, dims, keepdim
        return out if keepdim else out.squeeze(dims)

    def backward(self, g):
        xp = array_module(g)
        g = g if self.keepdim else xp.expand_dims(g, self.dims)
        return g * xp.exp(self.a - self.out)


def sum(a, dim=None, keepdim=False, dtype=None):
    out = Sum.apply(a, dims=normalize_dims(dim, a._data.ndim, "sum"), keepdim=keepdim)
    return out if dtype is None else out.to(dtype)


def mean(a, dim=None, keepdim=False):
    if a._data.dtype.kind != "f":
        raise TypeError(f"mean: input dtype should be floating point, got {a.dtype}")
    return Mean.apply(a, dims=normalize_dims(dim, a.ndim, "mean"), keepdim=keepdim)


def var(a, dim=None, unbiased=None, keepdim=False, correction=None):
    correction = _correction(unbiased, correction)
    return Var.apply(a, dims=normalize_dims(dim, a.ndim, "var"), keepdim=keepdim,
                     correction=correction)


def std(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return var(a, dim, unbiased, keepdim, correction) ** 0.5


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _extreme(name, a, dim, keepdim):
    largest = name == "max"
    if dim is None:
        if a._data.size == 0:
            raise RuntimeError(f"{name}: the input is empty")
        return (Amax if largest else Amin).apply(a, dims=tuple(range(a.ndim)), keepdim=False)
    if isinstance(dim, Tensor):  # max(a, b) spelled as a.max(other)
        from .compare import maximum, minimum
        return maximum(a, dim) if largest else minimum(a, dim)
    (d,) = normalize_dims(dim, a.ndim, name) or (None,)
    if d is None:                # a 0-d tensor: itself, at index 0
        from .shape import reshape
        return _extreme(name, reshape(a, (1,)), 0, False)
    values, indices = (MaxDim if largest else MinDim).apply(a, dim=d, keepdim=keepdim)
    return values_indices(values, indices)


def max(a, dim=None, keepdim=False):
    """max(a) → the largest element; max(a, dim) → (values, indices); max(a, other) →
    maximum(a, other)."""
    return _extreme("max", a, dim, keepdim)


def min(a, dim=None, keepdim=False):
    return _extreme("min", a, dim, keepdim)


def amax(a, dim=(), keepdim=False):
    """Largest values over `dim` (all dims when empty); ties share the gradient evenly."""
    dims = normalize_dims(None if dim == () else dim, a.ndim, "amax")
    return Amax.apply(a, dims=dims, keepdim=keepdim)


def amin(a, dim=(), keepdim=False):
    dims = normalize_dims(None if dim == () else dim, a.ndim, "amin")
    return Amin.apply(a, dims=dims, keepdim=keepdim)


def argmax(a, dim=None, keepdim=False):
    data = a._data
    if dim is None:
        return Tensor._make(array_module(data).asarray(data.argmax()), False, None, 0)
    return Tensor._make(data.argmax(axis=dim, keepdims=keepdim).astype("int64"), False, None, 0)


def argmin(a, dim=None, keepdim=False):
    data = a._data
    if dim is None:
        return Tensor._make(array_module(data).asarray(data.argmin()), False, None, 0)
    return Tensor._make(data.argmin(axis=dim, keepdims=keepdim).astype("int64"), False, None, 0)


def logsumexp(a, dim, keepdim=False):
    return LogSumExp.apply(a, dims=normalize_dims(dim, a.ndim, "logsumexp"), keepdim=keepdim)


# ‖a‖ₚ = (Σ|a|ᵖ)^(1/p);  d‖a‖ₚ/da = sign(a)|a|^(p−1) / ‖a‖ₚ^(p−1)  (0 where ‖a‖ₚ = 0, as PyTorch)
class VectorNorm(Function):
    needs_output = True

    def forward(self, a, p, dims, keepdim):
        xp = array_module(a)
        if p == 2:
            out = xp.sqrt((a * a).sum(axis=dims, keepdims=True))
        elif p == 1:
            out = xp.abs(a).sum(axis=dims, keepdims=True)
        else:
            out = (xp.abs(a) ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        self.a, self.p, self.out, self.dims, self.keepdim = a, p, out, dims, keepdim
        return out if keepdim else out.squeeze(dims)

    def backward(self, g):
        xp, a, p = array_module(g), self.a, self.p
        g = g if self.keepdim else xp.expand_dims(g, self.dims)
        if p == 1:
            return g * xp.sign(a)
        with errstate(divide="ignore", invalid="ignore"):
            d = a / self.out if p == 2 else \
                xp.sign(a) * xp.abs(a) ** (p - 1) / self.out ** (p - 1)
        return g * xp.where(self.out == 0, 0, d).astype(g.dtype, copy=False)


def vector_norm(a, ord=2, dim=None, keepdim=False, dtype=None):
    """`linalg.vector_norm`: ord 2, 1, any p > 0, inf (max |a|), -inf (min |a|) or 0 (count of
    non-zeros), over `dim` (None: all elements)."""
    if dtype is not None:
        a = a.to(dtype)
    if a._data.dtype.kind != "f":
        raise TypeError(f"linalg.vector_norm: expected a floating point tensor, got {a.dtype}")
    dims = normalize_dims(dim, a.ndim, "linalg.vector_norm")
    if ord in (math.inf, -math.inf):
        return (amax if ord > 0 else amin)(_abs(a), dim=dims, keepdim=keepdim)
    if ord == 0:
        return sum((a != 0).to(a.dtype), dim=dims, keepdim=keepdim)
    if not isinstance(ord, (int, float)) or ord < 0:
        raise ValueError(f"linalg.vector_norm: ord must be a number ≥ 0 or ±inf, got {ord!r}")
    return VectorNorm.apply(a, p=ord, dims=dims, keepdim=keepdim)


def norm(a, p="fro", dim=None, keepdim=False, dtype=None):
    """`torch.norm`: the vector p-norm over `dim` ('fro': the 2-norm of all elements or of dim)."""
    if p == "fro":
        p = 2
    if not isinstance(p, (int, float)):
        raise ValueError(f"norm: p must be a number or 'fro', got {p!r}")
    return vector_norm(a, p, dim, keepdim, dtype)
