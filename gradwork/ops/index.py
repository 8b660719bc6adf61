"""Indexing (slices, integers, integer arrays, boolean masks) and its scatter-add adjoint."""
from ..autograd import Function, Tensor
from ..backend import array_module
from .broadcast import unbroadcast


def plain_index(index):
    """Tensors inside an index become arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, (Tensor, list, slice)) for i in index):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _has_integer_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if isinstance(p, list) or (hasattr(p, "dtype") and p.dtype.kind in "iu"):
            return True
    return False


# y = a[idx]:  da = scatter-add of dy into zeros at idx (repeated indices accumulate)
class GetItem(Function):
    needs_inputs = False

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, g):
        xp = array_module(g)
        out = xp.zeros(self.shape, self.dtype)
        if _has_integer_array(self.index):
            xp.add.at(out, self.index, g)
        else:
            out[self.index] = g
        return out


class GetItemView(GetItem):
    is_view = True


# out = a with out[idx] = v:  da = dout with zeros at idx, dv = Σ over broadcast of dout[idx]
class IndexPut(Function):
    needs_inputs = False

    def forward(self, a, v, index):
        self.index, self.v_shape, self.v_dtype = index, v.shape, v.dtype
        out = a.copy()
        out[index] = v
        return out

    def backward(self, g):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.index] = 0
        if self.needs_input_grad[1]:
            gv = unbroadcast(g[self.index], self.v_shape).astype(self.v_dtype, copy=False)
        return ga, gv


def index_put(a, index, value):
    """`a` with `a[index] = value` (the out-of-place form of `__setitem__`)."""
    index = plain_index(index)
    if not isinstance(value, Tensor):
        value = Tensor(array_module(a._data).asarray(value, dtype=a.dtype))
    return IndexPut.apply(a, value, index=index)


def getitem(a, index):
    index = plain_index(index)
    try:
        if _is_basic(index):
            return GetItemView.apply(a, index=index)
        return GetItem.apply(a, index=index)
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor of shape {tuple(a.shape)})") from None


# gather along a dim: out[i][j] = a[i][index[i][j]] (dim = 1); da = scatter-add
class Gather(Function):
    needs_inputs = False

    def forward(self, a, index, dim):
        self.shape, self.dtype, self.index, self.dim = a.shape, a.dtype, index, dim
        # the index may be smaller than the input along the other dims (PyTorch reads a corner)
        corner = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))
        return array_module(a).take_along_axis(a[corner], index, axis=dim)

    def backward(self, g):
        xp = array_module(g)
        out = xp.zeros(self.shape, self.dtype)
        idx = list(xp.indices(self.index.shape, sparse=True))
        idx[self.dim] = self.index
        xp.add.at(out, tuple(idx), g)
        return out


def gather(a, dim, index):
    """out[i][j][k] = a[i][index[i][j][k]][k] for dim = 1 (likewise for the other dims)."""
    index = index._data if isinstance(index, Tensor) else index
    if index.ndim != a.ndim:
        raise ValueError(f"gather: index of shape {tuple(index.shape)} must have as many "
                         f"dimensions as input of shape {tuple(a.shape)}")
    dim = dim % a.ndim if a.ndim else 0
    if any(d != dim and i > n for d, (i, n) in enumerate(zip(index.shape, a.shape))):
        raise ValueError(f"gather: index of shape {tuple(index.shape)} is larger than input of "
                         f"shape {tuple(a.shape)} outside dimension {dim}")
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must hold integers, got dtype {index.dtype}")
    return Gather.apply(a, index=index, dim=dim)


def index_select(a, dim, index):
    index = index._data if isinstance(index, Tensor) else index
    dim = dim % a.ndim
    return getitem(a, (slice(None),) * dim + (index,))
