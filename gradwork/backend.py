"""The array module, dtypes and the random number generator.

This is the only file that imports NumPy by name. Everything above it asks for the
array module of its inputs (`xp = array_module(a)`) so that the same kernels could run on
CuPy, whose arrays expose the same interface.
"""
import ctypes
import glob
import mmap
import os
import threading

import numpy as np

float32 = np.float32
float64 = np.float64
float16 = np.float16
int64 = np.int64
int32 = np.int32
bool_ = np.bool_

DEFAULT_FLOAT = np.dtype(np.float32)

# NumPy's floating-point warning switch, for every array module: CuPy has none of its own (its
# kernels never warn), so ops write `with errstate(...)` rather than `xp.errstate`.
errstate = np.errstate


_allocator_tuned = False


def tune_allocator():
    """Keep large freed blocks in the heap for reuse: glibc's `mallopt`, process-wide.

    glibc hands out every block above 128 KiB as fresh pages from the kernel, which zeroes
    them on first touch; a training step allocates and frees gigabytes of such temporaries, so
    that zeroing was ≈ 10 % of a LeNet-5 step and ≈ 6 % of a ResNet-20 step (benchmarks/
    RESULTS.md). This raises the mmap threshold to its maximum (32 MiB) and the trim threshold
    to 1 GiB, so freed blocks are reused. It changes the whole process (PyTorch in the same
    process gets it too), so `import gradwork` never does it: the trainer (`Trainer.fit`,
    `train_gan`) and the benchmarks call it. GRADWORK_MALLOC_TUNING=0 keeps glibc's defaults.
    Returns whether the setting is in force; False where the C library has no mallopt (not
    glibc). Idempotent."""
    global _allocator_tuned
    if _allocator_tuned or os.environ.get("GRADWORK_MALLOC_TUNING", "1") == "0":
        return _allocator_tuned
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    _allocator_tuned = bool(mallopt(m_mmap_threshold, 32 << 20)
                            and mallopt(m_trim_threshold, 1 << 30))
    return _allocator_tuned


_HUGE_PAGE = 2 << 20


def scratch_empty(xp, size, dtype):
    """An uninitialised 1-D array of `size` elements of array module xp for a long-lived
    scratch buffer.

    From 2 MiB up it is its own anonymous mapping, aligned to 2 MiB and advised as
    transparent-huge-page memory where the kernel offers it (Linux, THP in "madvise" or
    "always" mode): im2col columns are streamed through once per GEMM, and with 4 KiB pages
    every 4 KiB of them costs a TLB miss (the 16-channel convolutions of ResNet-20 ran
    10–20 % faster on huge-page buffers, benchmarks/RESULTS.md). Smaller, not NumPy, or where
    mmap has no MADV_HUGEPAGE: xp.empty."""
    dtype = np.dtype(dtype)
    nbytes = size * dtype.itemsize
    if xp is not np or nbytes < _HUGE_PAGE or not hasattr(mmap, "MADV_HUGEPAGE"):
        return xp.empty(size, dtype)
    region = mmap.mmap(-1, nbytes + _HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    region.madvise(mmap.MADV_HUGEPAGE)
    raw = np.frombuffer(region, np.uint8)     # keeps the mapping alive
    start = -raw.ctypes.data % _HUGE_PAGE
    return raw[start:start + nbytes].view(dtype)


# ---------------------------------------------------------------- the workspace cache
# Scratch buffers (im2col columns, padded planes, GEMM results) kept between calls, one per
# (thread, role): a fresh multi-megabyte array is mapped from the OS and page-faulted on every
# call (measured at a third of LeNet-5's step time). The one owner of memory reuse: any kernel
# (convolutions today; binary convolutions, a CuPy device) asks here. Bound: one buffer per
# role and thread, as large as that role's largest request so far, and never more than
# WORKSPACE_LIMIT bytes in all per thread; a request that would pass it gets a fresh array.
# A caller must not hold two uses of one role at once. `clear_workspace()` frees them all.
WORKSPACE_LIMIT = 1 << 30
_workspaces = {}                    # thread id → {role: flat buffer}
_workspace_lock = threading.Lock()


def workspace(xp, role, size, dtype, zero=False):
    """A flat array of `size` elements of `dtype` for `role`, this thread's, reused across
    calls (zero-filled if asked); its contents are undefined otherwise."""
    tid = threading.get_ident()
    buffers = _workspaces.get(tid)
    if buffers is None:
        with _workspace_lock:
            buffers = _workspaces.setdefault(tid, {})
    buf = buffers.get(role)
    if buf is None or buf.size < size or buf.dtype != dtype or array_module(buf) is not xp:
        buffers.pop(role, None)
        held = sum(b.nbytes for b in buffers.values())
        buf = scratch_empty(xp, size, dtype)
        if held + buf.nbytes <= WORKSPACE_LIMIT:
            buffers[role] = buf
    buf = buf[:size]
    if zero:
        buf.fill(0)
    return buf


def workspace_bytes():
    """Bytes held by the workspace cache, all threads together."""
    return sum(b.nbytes for buffers in list(_workspaces.values()) for b in buffers.values())


def clear_workspace():
    """Free every cached scratch buffer (all threads); later calls allocate afresh. Call it
    between calls of the kernels that use them (not while one runs)."""
    with _workspace_lock:
        _workspaces.clear()


def blas_library():
    """NumPy's own OpenBLAS (from its wheel; already loaded, so ctypes returns its handle), for
    gradwork.threads to set its thread counts; None where NumPy was built otherwise."""
    root = os.path.dirname(np.__file__)
    for pattern in ("../numpy.libs/lib*openblas*.so*", ".dylibs/lib*openblas*.dylib"):
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            try:
                return ctypes.CDLL(path)
            except OSError:
                continue
    return None


# ---------------------------------------------------------------- compiled kernels
_KERNELS = ("channel_moments", "channel_affine", "channel_grad_sums", "batch_norm_input_grad",
            "relu_backward", "lstm_gates_forward", "lstm_gates_backward", "lstm_forward_loop",
            "lstm_backward_loop", "blas_gemm", "gru_forward_loop", "gru_backward_loop")


def kernel(name, *arrays):
    """The one door to gradwork.kernels: kernel `name` for the array module of `arrays`.

    NumPy arrays get the Numba-compiled kernel (compiled on first call, kernels/jit.py); any
    other array module (CuPy) gets the kernel's plain array-module form (kernels/portable.py),
    same arguments and results. Ops never import gradwork.kernels themselves, so a new device
    needs a change here only: its own compiled form, or the portable one."""
    if name not in _KERNELS:
        raise ValueError(f"kernel: name must be one of {', '.join(_KERNELS)}, got {name!r}")
    if array_module(*arrays) is np:
        from . import kernels
    else:
        from .kernels import portable as kernels
    return getattr(kernels, name)


_DTYPE_NAMES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
    "bool": np.bool_,
}


_NDARRAY = np.ndarray


def array_module(*arrays):
    """The array module (NumPy, or CuPy for CuPy arrays) that owns `arrays`."""
    for a in arrays:
        if type(a) is _NDARRAY:                 # the common case, without the module lookup
            continue
        if type(a).__module__.startswith("cupy"):
            import cupy
            return cupy
    return np


def device_type(arr):
    """'cpu' for NumPy data, 'cuda' for CuPy's."""
    return "cpu" if array_module(arr) is np else "cuda"


def to_device(arr, kind):
    """`arr` on device type `kind` ('cpu' or 'cuda'): itself where it already is, else a copy
    (CuPy's `get()` to the host, `cupy.asarray` to the current GPU)."""
    if kind == "cpu":
        return arr if array_module(arr) is np else arr.get()
    import cupy
    return arr if array_module(arr) is cupy else cupy.asarray(arr)


def as_dtype(dtype):
    """Normalise a dtype given as a NumPy dtype, a type or a PyTorch-style name."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        if dtype not in _DTYPE_NAMES:
            raise TypeError(f"dtype: expected one of {sorted(_DTYPE_NAMES)}, got {dtype!r}")
        return np.dtype(_DTYPE_NAMES[dtype])
    return np.dtype(dtype)


def is_floating(dtype):
    return np.issubdtype(dtype, np.floating)


def asarray(data, dtype=None):
    """Turn Python data or an array into an ndarray, PyTorch-style: Python floats become
    float32, Python ints int64, bools bool; an existing array keeps its dtype."""
    dtype = as_dtype(dtype)
    if isinstance(data, np.ndarray) or array_module(data) is not np:
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    arr = np.asarray(data)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype == np.float64 and not isinstance(data, np.generic):
        return arr.astype(DEFAULT_FLOAT)
    if arr.dtype.kind in "iu" and not isinstance(data, np.generic):
        return arr.astype(np.int64, copy=False)
    return arr


# ---------------------------------------------------------------- random numbers
class _RNG:
    """The global generator; `manual_seed` resets it so runs repeat bit for bit."""

    def __init__(self, seed=None):
        self.generator = np.random.default_rng(seed)


_rng = _RNG()


def manual_seed(seed):
    """Seed gradwork's global generator (initialisation, dropout masks, shuffling)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _rng.generator = np.random.default_rng(int(seed))
    return _rng.generator


def generator():
    """The global `numpy.random.Generator` used for all of gradwork's randomness."""
    return _rng.generator


def get_rng_state():
    """The generator's state as a JSON-serialisable dict (for checkpoints)."""
    return _rng.generator.bit_generator.state


def set_rng_state(state):
    gen = np.random.default_rng()
    gen.bit_generator.state = state
    _rng.generator = gen
