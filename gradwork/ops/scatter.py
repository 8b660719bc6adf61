"""scatter and scatter_add along a dimension, the writing counterparts of gather:
for dim = 1, out[i][index[i][j]] = src[i][j] (scatter) or += src[i][j] (scatter_add)."""
from ..autograd import Function, Tensor
from ..backend import array_module
from .reduce import normalize_dims


def _positions(index, dim):
    """The full index tuple that `index` addresses along dim (the other dims count up)."""
    idx = list(array_module(index).indices(index.shape, sparse=True))
    idx[dim] = index
    return tuple(idx)


def _corner(src, index):
    return src[tuple(slice(0, n) for n in index.shape)]


# out = a with out[pos] = src;  da = dout with 0 at pos;  dsrc = dout[pos] (gather)
# (scatter_add: out[pos] += src;  da = dout;  dsrc = dout[pos])
class Scatter(Function):
    needs_inputs = False

    def forward(self, a, src, index, dim, add):
        xp = array_module(a)
        self.pos, self.add, self.src_shape = _positions(index, dim), add, src.shape
        self.index_shape = index.shape
        out = a.copy()
        values = _corner(src, index).astype(a.dtype, copy=False)
        if add:
            xp.add.at(out, self.pos, values)
        else:
            out[self.pos] = values
        return out

    def backward(self, g):
        xp = array_module(g)
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = g if self.add else g.copy()
            if not self.add:
                ga[self.pos] = 0
        if self.needs_input_grad[1]:
            gs = xp.zeros(self.src_shape, g.dtype)
            gs[tuple(slice(0, n) for n in self.index_shape)] = g[self.pos]
        return ga, gs


def _scatter(a, dim, index, src, add, op):
    index = index._data if isinstance(index, Tensor) else array_module(a._data).asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {index.dtype}")
    if index.ndim != a.ndim:
        raise ValueError(f"{op}: index of shape {tuple(index.shape)} must have as many "
                         f"dimensions as self of shape {tuple(a.shape)}")
    dim = normalize_dims(dim, a.ndim, op)[0] if a.ndim else 0
    if not isinstance(src, Tensor):                  # scatter(dim, index, value)
        src = Tensor(array_module(a._data).full(index.shape, src, a.dtype))
    if any(i > n for i, n in zip(index.shape, src.shape)) or any(
            i > n for d, (i, n) in enumerate(zip(index.shape, a.shape)) if d != dim):
        raise ValueError(f"{op}: index of shape {tuple(index.shape)} is larger than src "
                         f"{tuple(src.shape)} or than self {tuple(a.shape)} outside dim {dim}")
    if index.size and (index.min() < 0 or index.max() >= a.shape[dim]):
        raise IndexError(f"{op}: index values must be in [0, {a.shape[dim]}) along dim {dim}, "
                         f"got [{index.min()}, {index.max()}]")
    return Scatter.apply(a, src, index=index, dim=dim, add=add)


def scatter(a, dim, index, src=None, value=None, reduce=None):
    """Out-of-place `scatter`: `src` a tensor or a number (`value=` also accepted)."""
    if reduce is not None:
        if reduce != "add":
            raise ValueError(f"scatter: reduce must be None or 'add', got {reduce!r}")
        return scatter_add(a, dim, index, src)
    return _scatter(a, dim, index, value if src is None else src, False, "scatter")


def scatter_add(a, dim, index, src):
    return _scatter(a, dim, index, src, True, "scatter_add")
