"""Tensor factories: tensor, zeros, ones, full, empty, *_like, randn, rand, randint, randperm,
arange, linspace, eye. Random ones draw from `generator=` (a gradwork.Generator) or from the
global seeded generator. `device=` is accepted as PyTorch's: 'cpu', or 'cuda' where a GPU
backend is available (else a clear error)."""
from .. import backend, cuda, random
from ..autograd import Tensor
from ..device import device as _device


def _on(arr, device, op, requires_grad=False):
    """A new leaf Tensor of `arr` placed on `device` (None and 'cpu' leave it on the CPU).
    Random factories draw on the host from gradwork's generator and copy to the GPU: the same
    numbers as on the CPU for the same seed."""
    if device is not None and _device(device).type != "cpu":
        if _device(device).type != "cuda":
            raise RuntimeError(f"{op}: device {str(device)!r} is not available to gradwork")
        cuda.require(f"{op}(device={str(device)!r})")
        arr = backend.to_device(backend.asarray(arr), "cuda")
    return Tensor(arr, requires_grad=requires_grad)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _float(dtype):
    return backend.as_dtype(dtype) or backend.DEFAULT_FLOAT


def _check_float(dtype, requires_grad, op):
    if requires_grad and dtype.kind != "f":
        raise RuntimeError(f"{op}: only floating point tensors can require gradients, got {dtype}")


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (list, scalar, array or Tensor)."""
    if isinstance(data, Tensor):
        data = data._data
    arr = backend.asarray(data, dtype)
    arr = arr.copy() if arr is data else arr
    return _on(arr, device, "tensor", requires_grad=requires_grad)


def as_tensor(data, dtype=None):
    return data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)


def from_numpy(array):
    return Tensor(array)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    dtype = _float(dtype)
    _check_float(dtype, requires_grad, "zeros")
    return _on(backend.np.zeros(_shape(size), dtype), device,
               "zeros", requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    dtype = _float(dtype)
    _check_float(dtype, requires_grad, "ones")
    return _on(backend.np.ones(_shape(size), dtype), device,
               "ones", requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    dtype = backend.as_dtype(dtype) or backend.asarray(fill_value).dtype
    return _on(backend.np.full(tuple(size), fill_value, dtype),
               device, "full", requires_grad=requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False, device=None):
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                 device=device or t.device)


def ones_like(t, dtype=None, requires_grad=False, device=None):
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                device=device or t.device)


def full_like(t, fill_value, dtype=None, device=None):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    dtype = _float(dtype)
    gen = random.resolve(generator, "randn")
    data = gen.standard_normal(_shape(size), dtype=backend.np.float64)
    return _on(data.astype(dtype), device, "randn", requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1)."""
    dtype = _float(dtype)
    data = random.resolve(generator, "rand").random(_shape(size), dtype=backend.np.float64)
    return _on(data.astype(dtype), device, "rand", requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False, device=None):
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                 device=device or t.device)


def rand_like(t, dtype=None, requires_grad=False, device=None):
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad,
                device=device or t.device)


def randint(low, high=None, size=(), generator=None, dtype="int64", device=None):
    """Integers in [low, high): `randint(high, size)` or `randint(low, high, size)`."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    gen = random.resolve(generator, "randint")
    return _on(gen.integers(low, high, size=tuple(size)).astype(backend.as_dtype(dtype)),
               device, "randint")


def randperm(n, generator=None, dtype="int64", device=None):
    gen = random.resolve(generator, "randperm")
    return _on(gen.permutation(n).astype(backend.as_dtype(dtype)), device, "randperm")


def normal(mean, std, size=None, generator=None):
    """Samples of N(mean, std²): numbers with `size`, or tensors (broadcast) of means/stds."""
    gen = random.resolve(generator, "normal")
    m = backend.to_device(mean._data, "cpu") if isinstance(mean, Tensor) else mean
    sd = backend.to_device(std._data, "cpu") if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else backend.np.broadcast_shapes(
        backend.np.shape(m), backend.np.shape(sd))
    like = [t for t in (mean, std) if isinstance(t, Tensor)]
    dtype = like[0].dtype if like else backend.DEFAULT_FLOAT
    return _on(gen.normal(m, sd, shape).astype(dtype), like[0].device if like else None,
               "normal")


def bernoulli(p, generator=None):
    """1 with probability p (a tensor of probabilities), else 0, in p's dtype."""
    gen = random.resolve(generator, "bernoulli")
    xp = backend.array_module(p._data)
    return Tensor((xp.asarray(gen.random(p.shape)) < p._data).astype(p.dtype))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    data = backend.np.arange(start, end, step)
    if dtype is None:
        dtype = "int64" if data.dtype.kind in "iu" else backend.DEFAULT_FLOAT
    return _on(data.astype(backend.as_dtype(dtype)), device,
               "arange", requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None):
    return _on(backend.np.linspace(start, end, steps).astype(_float(dtype)), device,
               "linspace")


def eye(n, m=None, dtype=None, device=None):
    return _on(backend.np.eye(n, m, dtype=_float(dtype)), device, "eye")
