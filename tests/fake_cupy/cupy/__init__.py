"""A fake CuPy for tests on machines without a GPU: NumPy underneath, CuPy's rules on top.

What it proves: that gradwork *dispatches* to the array module of a tensor's data. Its
`ndarray` is a distinct type (a `numpy.ndarray` subclass whose module is `cupy`, so
`gradwork.backend.array_module` takes it for CuPy's), and it refuses what real CuPy refuses or
what would be a silent trip through the host:

- a plain `numpy.ndarray` operand in a ufunc (`cupy_x + numpy_y`) or in a `cupy.*` function
  raises TypeError, as CuPy does ("Unsupported type <class 'numpy.ndarray'>");
- a `numpy.*` function (`np.concatenate`, `np.lib.stride_tricks.as_strided`, `np.einsum`, ...)
  called on a fake array raises TypeError. This is stricter than CuPy, whose
  `__array_function__` forwards many of them to CuPy's own: gradwork's rule is that ops call
  `xp.*`, so NumPy's namespace reaching device data is a bug even where CuPy would cope;
- writing a plain NumPy array into a fake one (`cupy_x[...] = numpy_y`) raises TypeError
  (stricter than CuPy, which copies it from the host);
- results are fake arrays again: reductions and scalar indexing give 0-d arrays, not NumPy
  scalars, as CuPy's do.

Every ufunc and function call is counted in `calls` (a Counter: "ufunc.add", "func.concatenate",
"h2d" for host-to-device copies, "d2h" for `get()`/`asnumpy`), so a test can show that work was
done through this module.

What it does not prove: anything about GPU numerics (it computes with NumPy on the CPU: no
TF32, no cuBLAS reduction orders, no atomics), speed, memory, streams or synchronisation.
`RawKernel`/`ElementwiseKernel` are not provided (their CUDA source cannot run here), and a
NumPy function called on a *plain* array that was silently made from a fake one
(`numpy.asarray(x)` returns a plain view of a subclass without asking it) is caught only
downstream: when that plain array meets a fake one, or reaches a tensor (the tests check every
tensor made on `cuda`).
"""
import collections
import types

import numpy

calls = collections.Counter()

# NumPy names real CuPy lacks (so code reaching for them through xp fails here as on a GPU).
_MISSING = {"frompyfunc", "broadcast_shapes", "errstate", "seterr", "lib", "char", "rec", "ma",
            "ctypeslib"}
# Functions that take host data and copy it to the device.
_FROM_HOST = {"asarray", "array", "asanyarray"}


class ndarray(numpy.ndarray):
    """A device array (NumPy memory, CuPy's interface and refusals)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _ufunc_call(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"fake cupy: numpy.{func.__name__} was called on a cupy array: NumPy "
                        f"code on device data (call it through the array module: "
                        f"xp.{func.__name__})")

    def __setitem__(self, key, value):
        if type(value) is numpy.ndarray:
            raise TypeError("fake cupy: a numpy.ndarray written into a cupy array (host data "
                            "mixed into device data)")
        numpy.ndarray.__setitem__(self, _unwrap(key), _unwrap(value))

    def __getitem__(self, key):
        return _wrap(numpy.ndarray.__getitem__(self, key))

    def get(self, stream=None):
        """The array copied to the host (a plain numpy.ndarray)."""
        calls["d2h"] += 1
        return numpy.array(self.view(numpy.ndarray), copy=True)

    @property
    def device(self):
        return cuda.Device(0)

    def __repr__(self):
        return repr(self.view(numpy.ndarray))

    def __str__(self):
        return str(self.view(numpy.ndarray))


def _method(name):
    base = getattr(numpy.ndarray, name)

    def call(self, *args, **kwargs):
        calls["method." + name] += 1
        return _wrap(base(self, *_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
    call.__name__ = name
    return call


# Methods NumPy implements in C without the ufunc machinery: wrap their results.
for _name in ("nonzero", "argmax", "argmin", "argsort", "searchsorted", "take", "repeat", "dot",
              "all", "any", "trace", "diagonal", "choose", "compress", "round"):
    setattr(ndarray, _name, _method(_name))


def _wrap(x):
    """A NumPy result as the fake device type (scalars as 0-d arrays, as CuPy's)."""
    if type(x) is numpy.ndarray:
        return x.view(ndarray)
    if isinstance(x, numpy.generic):
        return numpy.asarray(x).view(ndarray)
    if type(x) is tuple:
        return tuple(_wrap(v) for v in x)
    if type(x) is list:
        return [_wrap(v) for v in x]
    return x


def _unwrap(x):
    if isinstance(x, ndarray):
        return x.view(numpy.ndarray)
    if type(x) in (tuple, list):
        return type(x)(_unwrap(v) for v in x)
    return x


def _refuse_host(what, values):
    for v in values:
        if type(v) is numpy.ndarray:
            raise TypeError(f"fake cupy: {what}: Unsupported type <class 'numpy.ndarray'> (a "
                            "host array among device operands)")
        if type(v) in (tuple, list):
            _refuse_host(what, v)


def _ufunc_call(uf, method, inputs, kwargs):
    name = uf.__name__
    _refuse_host(name, inputs[:1] + inputs[2:] if method == "at" else inputs)
    _refuse_host(name, kwargs.values())
    calls[f"ufunc.{name}" + ("" if method == "__call__" else f".{method}")] += 1
    out = kwargs.get("out")
    kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
    result = getattr(uf, method)(*_unwrap(inputs), **kwargs)
    if method == "at":
        return None
    if out is not None:
        return out[0] if type(out) is tuple and len(out) == 1 else out
    return _wrap(result)


class ufunc:
    """`cupy.exp` etc.: NumPy's ufunc on device operands only."""

    def __init__(self, np_ufunc):
        self._uf = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout = np_ufunc.nin, np_ufunc.nout

    def __call__(self, *args, **kwargs):
        return _ufunc_call(self._uf, "__call__", args, kwargs)

    def reduce(self, *args, **kwargs):
        return _ufunc_call(self._uf, "reduce", args, kwargs)

    def accumulate(self, *args, **kwargs):
        return _ufunc_call(self._uf, "accumulate", args, kwargs)

    def outer(self, *args, **kwargs):
        return _ufunc_call(self._uf, "outer", args, kwargs)

    def at(self, *args, **kwargs):
        return _ufunc_call(self._uf, "at", args, kwargs)


def _function(name, fn):
    def call(*args, **kwargs):
        if name in _FROM_HOST:
            if type(args[0]) is numpy.ndarray or not isinstance(args[0], numpy.ndarray):
                calls["h2d"] += 1
        else:
            _refuse_host(name, args)
            _refuse_host(name, kwargs.values())
        calls["func." + name] += 1
        out = kwargs.get("out")
        result = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
        return out if out is not None else _wrap(result)
    call.__name__ = name
    return call


def _namespace(name, np_module, names=None):
    ns = types.SimpleNamespace()
    for attr in names or [a for a in dir(np_module) if not a.startswith("_")]:
        value = getattr(np_module, attr)
        setattr(ns, attr, _function(f"{name}.{attr}", value) if callable(value) else value)
    return ns


def __getattr__(name):
    """Any NumPy name CuPy also has: ufuncs wrapped as device ufuncs, functions as device
    functions, dtypes and constants as they are."""
    if name.startswith("__") or name in _MISSING or not hasattr(numpy, name):
        raise AttributeError(f"module 'cupy' has no attribute {name!r}")
    value = getattr(numpy, name)
    if isinstance(value, numpy.ufunc):
        value = ufunc(value)
    elif callable(value) and not isinstance(value, type):
        value = _function(name, value)
    globals()[name] = value
    return value


def asnumpy(a, stream=None):
    """The array on the host (plain NumPy data passes through, as CuPy's)."""
    if isinstance(a, ndarray):
        return a.get()
    return numpy.asarray(a)


def get_array_module(*args):
    import sys
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def get_default_memory_pool():
    return types.SimpleNamespace(free_all_blocks=lambda: None, used_bytes=lambda: 0)


class _Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            raise RuntimeError(f"fake cupy: one device (0), got {self.id}")

    def synchronize(self):
        calls["synchronize"] += 1

    def use(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


cuda = types.SimpleNamespace(
    Device=_Device,
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
    get_current_stream=lambda: types.SimpleNamespace(synchronize=lambda: None),
)
lib = types.SimpleNamespace(stride_tricks=_namespace(
    "lib.stride_tricks", numpy.lib.stride_tricks, ["as_strided", "sliding_window_view"]))
random = _namespace("random", numpy.random, ["seed", "rand", "randn", "standard_normal",
                                             "uniform", "random"])
fft = _namespace("fft", numpy.fft)
linalg = _namespace("linalg", numpy.linalg, ["norm", "qr", "svd", "inv", "solve", "det",
                                             "eigh", "cholesky"])
