"""NumPy's own OpenBLAS GEMM (cblas_sgemm / cblas_dgemm) as a ctypes function a compiled
kernel can call: a kernel that runs a whole loop of small products (the LSTM's time loop,
kernels/lstm_loop.py) calls it directly, without a return to Python per product.

NumPy's wheels ship OpenBLAS as scipy-openblas, its symbols prefixed `scipy_` and, in the
64-bit-integer build (ILP64, NumPy ≥ 2 on 64-bit Linux), suffixed `64_`; the CBLAS enums
stay C ints. The function is passed to the kernel as an argument, not read from a global:
Numba then calls through the pointer it is given and can cache the compiled kernel on disk.
"""
import ctypes

from ..backend import blas_library, np

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
# (symbol stem, integer type): ILP64 first, NumPy's wheels on 64-bit Linux
_NAMES = (("scipy_cblas_{}gemm64_", ctypes.c_int64), ("cblas_{}gemm64_", ctypes.c_int64),
          ("scipy_cblas_{}gemm", ctypes.c_int), ("cblas_{}gemm", ctypes.c_int))
_SCALARS = {np.dtype(np.float32): ("s", ctypes.c_float),
            np.dtype(np.float64): ("d", ctypes.c_double)}
_found = {}


def gemm(dtype):
    """cblas_?gemm of NumPy's OpenBLAS for `dtype` (float32, float64) as a typed ctypes
    function: (order, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), the
    pointers as void*; None where NumPy's BLAS exports none (another BLAS, another dtype)."""
    dtype = np.dtype(dtype)
    if dtype not in _found:
        _found[dtype] = _lookup(dtype)
    return _found[dtype]


def _lookup(dtype):
    if dtype not in _SCALARS:
        return None
    lib = blas_library()
    letter, scalar = _SCALARS[dtype]
    for stem, integer in _NAMES:
        fn = getattr(lib, stem.format(letter), None) if lib is not None else None
        if fn is not None:
            enum, ptr = ctypes.c_int, ctypes.c_void_p
            fn.argtypes = [enum, enum, enum, integer, integer, integer, scalar, ptr, integer,
                           ptr, integer, scalar, ptr, integer]
            fn.restype = None
            return fn
    return None
