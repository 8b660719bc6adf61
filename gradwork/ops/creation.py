"""Tensor factories: tensor, zeros, ones, full, empty, *_like, randn, rand, randint, arange,
linspace, eye. Random ones draw from gradwork's seeded generator."""
from .. import backend
from ..autograd import Tensor


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _float(dtype):
    return backend.as_dtype(dtype) or backend.DEFAULT_FLOAT


def _check_float(dtype, requires_grad, op):
    if requires_grad and dtype.kind != "f":
        raise RuntimeError(f"{op}: only floating point tensors can require gradients, got {dtype}")


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data` (list, scalar, array or Tensor)."""
    if isinstance(data, Tensor):
        data = data._data
    arr = backend.asarray(data, dtype)
    arr = arr.copy() if arr is data else arr
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor(data, dtype=None):
    return data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)


def from_numpy(array):
    return Tensor(array)


def zeros(*size, dtype=None, requires_grad=False):
    dtype = _float(dtype)
    _check_float(dtype, requires_grad, "zeros")
    return Tensor(backend.np.zeros(_shape(size), dtype), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    dtype = _float(dtype)
    _check_float(dtype, requires_grad, "ones")
    return Tensor(backend.np.ones(_shape(size), dtype), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    dtype = backend.as_dtype(dtype) or backend.asarray(fill_value).dtype
    return Tensor(backend.np.full(tuple(size), fill_value, dtype), requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None):
    return full(t.shape, fill_value, dtype=dtype or t.dtype)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples."""
    dtype = _float(dtype)
    data = backend.generator().standard_normal(_shape(size), dtype=backend.np.float64)
    return Tensor(data.astype(dtype), requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform samples on [0, 1)."""
    dtype = _float(dtype)
    data = backend.generator().random(_shape(size), dtype=backend.np.float64)
    return Tensor(data.astype(dtype), requires_grad=requires_grad)


def randn_like(t):
    return randn(t.shape, dtype=t.dtype)


def rand_like(t):
    return rand(t.shape, dtype=t.dtype)


def randint(low, high=None, size=(), dtype="int64"):
    """Integers in [low, high): `randint(high, size)` or `randint(low, high, size)`."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return Tensor(backend.generator().integers(low, high, size=tuple(size)).astype(dtype))


def randperm(n):
    return Tensor(backend.generator().permutation(n).astype("int64"))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    data = backend.np.arange(start, end, step)
    if dtype is None:
        dtype = "int64" if data.dtype.kind in "iu" else backend.DEFAULT_FLOAT
    return Tensor(data.astype(backend.as_dtype(dtype)), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None):
    return Tensor(backend.np.linspace(start, end, steps).astype(_float(dtype)))


def eye(n, m=None, dtype=None):
    return Tensor(backend.np.eye(n, m, dtype=_float(dtype)))
