"""Sorting along a dimension: sort, argsort, topk. The values are the input gathered through a
permutation; their gradient goes back through the same permutation (a scatter)."""
from ..autograd import Function, Tensor
from ..backend import array_module
from .reduce import normalize_dims, values_indices


def _order(a, dim, descending):
    """Indices sorting `a` along dim, stable; NaN counts as the largest value (as PyTorch)."""
    xp = array_module(a)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    n = a.shape[dim]                      # descending and stable: sort the reversed array
    rev = xp.argsort(xp.flip(a, axis=dim), axis=dim, kind="stable")
    return (n - 1) - xp.flip(rev, axis=dim)


# y = take(a, idx) along dim;  da = put(dy, idx) along dim (idx a permutation or its first k)
class SortDim(Function):
    needs_inputs = False

    def forward(self, a, dim, descending, k):
        xp = array_module(a)
        idx = _order(a, dim, descending)
        if k is not None:
            idx = xp.take(idx, xp.arange(k), axis=dim)
        self.shape, self.dtype, self.idx, self.dim = a.shape, a.dtype, idx, dim
        return xp.take_along_axis(a, idx, axis=dim), idx.astype("int64")

    def backward(self, g, _):
        xp = array_module(g)
        out = xp.zeros(self.shape, self.dtype)
        xp.put_along_axis(out, self.idx, g, axis=self.dim)
        return out


def _dim(a, dim, op):
    return normalize_dims(dim, a.ndim, op)[0] if a.ndim else 0


def sort(a, dim=-1, descending=False, stable=False):
    """(values, indices) of `a` sorted along dim; ties keep their order."""
    if a.ndim == 0:
        return values_indices(a.clone(), Tensor(array_module(a._data).zeros((), "int64")))
    return values_indices(*SortDim.apply(a, dim=_dim(a, dim, "sort"), descending=descending,
                                         k=None))


def argsort(a, dim=-1, descending=False, stable=False):
    return sort(a, dim, descending, stable).indices


def topk(a, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) values along dim and their indices, in sorted order."""
    d = _dim(a, dim, "topk")
    n = a.shape[d] if a.ndim else 1
    if not isinstance(k, int) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int in [0, {n}] (the size of dimension {dim}), "
                         f"got {k!r}")
    if a.ndim == 0:
        return sort(a)
    return values_indices(*SortDim.apply(a, dim=d, descending=largest, k=k))
