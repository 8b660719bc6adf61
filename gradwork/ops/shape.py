"""Views and shape changes: reshape/view, transpose, permute, squeeze, unsqueeze, expand,
flatten, and dtype casts. Each backward is the inverse reshaping of the gradient."""
import builtins
import math

from .. import backend, cuda
from ..autograd import Function, Tensor
from ..backend import array_module, as_dtype
from ..device import device as _device
from .broadcast import unbroadcast


class Reshape(Function):
    needs_inputs, is_view = False, True

    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    needs_inputs, is_view = False, True

    def forward(self, a, dims):
        self.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return a.transpose(dims)

    def backward(self, g):
        return g.transpose(self.inverse)


class Expand(Function):
    needs_inputs, is_view = False, True

    def forward(self, a, shape):
        self.shape = a.shape
        return array_module(a).broadcast_to(a, shape)

    def backward(self, g):
        return unbroadcast(g, self.shape)


class Cast(Function):
    needs_inputs = False

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(a, *shape):
    shape = _shape_args(shape)
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or (-1 not in shape and known != a._data.size) or \
            (-1 in shape and (known == 0 or a._data.size % known)):
        raise ValueError(f"reshape: shape {list(shape)} is invalid for input of shape "
                         f"{tuple(a.shape)} ({a._data.size} elements)")
    if shape == a.shape:
        return a
    return Reshape.apply(a, shape=shape)


view = reshape


def flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return reshape(a, 1)
    start, end = start_dim % a.ndim, end_dim % a.ndim
    shape = a.shape[:start] + (math.prod(a.shape[start:end + 1]),) + a.shape[end + 1:]
    return reshape(a, shape)


def permute(a, *dims):
    dims = _shape_args(dims)
    if sorted(d % max(a.ndim, 1) for d in dims) != list(range(a.ndim)):
        raise ValueError(f"permute: dims {list(dims)} are not a permutation of the "
                         f"{a.ndim} dimensions of a tensor of shape {tuple(a.shape)}")
    return Permute.apply(a, dims=tuple(d % a.ndim for d in dims))


def _dim(op, a, dim, extra=0):
    n = a.ndim + extra
    if not -builtins.max(n, 1) <= dim < builtins.max(n, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of shape {tuple(a.shape)} "
                         f"(expected a dim in [{-builtins.max(n, 1)}, {builtins.max(n, 1) - 1}])")
    return dim % builtins.max(n, 1)


def transpose(a, dim0, dim1):
    dims = list(range(a.ndim))
    d0, d1 = _dim("transpose", a, dim0), _dim("transpose", a, dim1)
    if not dims:
        return a
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(a, dims=tuple(dims))


def t(a):
    if a.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {tuple(a.shape)}")
    return a if a.ndim < 2 else transpose(a, 0, 1)


def squeeze(a, dim=None):
    if dim is None:
        shape = tuple(s for s in a.shape if s != 1)
    else:
        dims = {d % a.ndim for d in ((dim,) if isinstance(dim, int) else dim)} if a.ndim else set()
        shape = tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1))
    return reshape(a, shape)


def unsqueeze(a, dim):
    dim = _dim("unsqueeze", a, dim, extra=1)
    return reshape(a, a.shape[:dim] + (1,) + a.shape[dim:])


def expand(a, *shape):
    shape = _shape_args(shape)
    lead = len(shape) - a.ndim
    if lead < 0:
        raise ValueError(f"expand: cannot expand shape {tuple(a.shape)} to {shape}")
    if any(s == -1 for s in shape[:lead]) or any(s < -1 for s in shape):
        raise ValueError(f"expand: the size -1 is only allowed for existing dimensions, and no "
                         f"size may be below -1; got {shape} for shape {tuple(a.shape)}")
    full = tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    for i, s in enumerate(a.shape):
        if s != 1 and s != full[i + lead]:
            raise ValueError(f"expand: the expanded size {full[i + lead]} must match the "
                             f"existing size {s} at dimension {i} (shape {tuple(a.shape)})")
    return Expand.apply(a, shape=full)


def broadcast_to(a, shape):
    return expand(a, *shape)


# out = a on another device: dout travels back to a's device
class ToDevice(Function):
    needs_inputs = False

    def forward(self, a, target):
        self.home = _device_of(a)
        return _move(a, target)

    def backward(self, g):
        return _move(g, self.home)


_device_of, _move = backend.device_type, backend.to_device


def _to_args(args, dtype, device):
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device              # x.to(other_tensor)
        elif isinstance(arg, _device) or (isinstance(arg, str) and arg.split(":")[0] in
                                          ("cpu", "cuda", "mps", "meta")):
            device = arg
        else:
            dtype = arg
    return dtype, None if device is None else _device(device)


def to(a, *args, dtype=None, device=None, non_blocking=False, copy=False):
    """`x.to(dtype)`, `x.to(device)`, `x.to(device, dtype)`, `x.to(other)` or keywords; returns
    `a` itself when nothing changes (as PyTorch), else a differentiable copy."""
    dtype, device = _to_args(args, dtype, device)
    if device is not None and device.type != a.device.type:
        if device.type not in ("cpu", "cuda"):
            raise RuntimeError(f"to: device {str(device)!r} is not available to gradwork "
                               "(it runs on 'cpu', or 'cuda' through CuPy)")
        if device.type == "cuda":
            cuda.require(f"to({str(device)!r})")
        a = ToDevice.apply(a, target=device.type)
        copy = False
    dtype = as_dtype(dtype)
    if dtype is None or dtype == a.dtype:
        return clone(a) if copy else a
    return Cast.apply(a, dtype=dtype)


def cpu(a):
    return to(a, "cpu")


def cuda_(a, device=None, non_blocking=False):
    """`x.cuda()`: a clear error naming the missing GPU backend when there is none."""
    return to(a, _device("cuda", device) if isinstance(device, int) else (device or "cuda"))


# d clone(a) = d a: a copy with its own storage, in the graph
class Clone(Function):
    needs_inputs = False

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


def clone(a, memory_format=None):
    return Clone.apply(a)


def contiguous(a):
    return a
