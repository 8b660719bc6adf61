"""Installs the fake CuPy (tests/fake_cupy/cupy) under the module name `cupy` for one test.

`install(monkeypatch)` puts `cupy`, `cupyx`, `cupyx.scipy` and `cupyx.scipy.special` into
sys.modules for the test's duration (monkeypatch takes them out again), so gradwork's
`import cupy` finds the fake and `gradwork.cuda.is_available()` is True; other tests of the
same process never see it. See cupy/__init__.py for what the fake proves and what it does not.
"""
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_loaded = {}


def _load(name, saved):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(_HERE, name, "__init__.py"),
        submodule_search_locations=[os.path.join(_HERE, name)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved
    return module


def modules():
    """{module name: module} of the fake, loaded once per process."""
    if not _loaded:
        saved = sys.modules.get("cupy")
        cupy = _load("cupy", saved)
        sys.modules["cupy"] = cupy           # cupyx imports it
        try:
            cupyx = _load("cupyx", sys.modules.get("cupyx"))
        finally:
            if saved is None:
                sys.modules.pop("cupy", None)
            else:
                sys.modules["cupy"] = saved
        _loaded.update({"cupy": cupy, "cupyx": cupyx, "cupyx.scipy": cupyx.scipy,
                        "cupyx.scipy.special": cupyx.scipy.special})
    return _loaded


def install(monkeypatch):
    """The fake `cupy` module, importable as `cupy` until the test ends; its counters reset."""
    from gradwork import backend
    for name, module in modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    # the workspace cache keeps device buffers between calls: a cache of the test's own, so that
    # none outlives the fake module (a later CPU test would find a cupy array there)
    monkeypatch.setattr(backend, "_workspaces", {})
    _guard_compiled_kernels(monkeypatch, _loaded["cupy"].ndarray)
    cupy = _loaded["cupy"]
    cupy.calls.clear()
    return cupy


def _guard_compiled_kernels(monkeypatch, device_type):
    """Numba takes a NumPy subclass as an array, so a compiled kernel handed fake device arrays
    would run silently: each one refuses them for the test's duration (on a GPU Numba would
    refuse CuPy arrays; `backend.kernel` must hand those the portable forms)."""
    from gradwork import kernels

    def guarded(name, fn):
        def call(*args, **kwargs):
            if any(isinstance(a, device_type) for a in args + tuple(kwargs.values())):
                raise TypeError(f"fake cupy: the compiled NumPy kernel {name} was handed device "
                                "arrays")
            return fn(*args, **kwargs)
        return call
    for name in kernels.__all__:
        monkeypatch.setattr(kernels, name, guarded(name, getattr(kernels, name)))
