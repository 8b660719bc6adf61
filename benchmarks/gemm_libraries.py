"""GEMM libraries on the exact shapes gradwork multiplies: NumPy's OpenBLAS against Intel's MKL,
BLIS and PyTorch's own `torch.mm`, float32, C = A·B, row-major, best of three batches.

    python -m benchmarks.gemm_libraries [--threads 2]

Issue 21 asks whether a BLAS made for this CPU beats OpenBLAS on W2's convolution GEMMs (the
im2col products of the 16/32/64-channel stages, forward and both adjoints), W3's LSTM steps and
W4's layers. Each library is measured if it is importable here and skipped (named) if not:
    MKL   `pip install mkl==2026.2.0`: libmkl_rt's cblas_sgemm through ctypes, its threading
          layer from MKL_THREADING_LAYER (GNU or INTEL);
    BLIS  `pip install blis==1.3.4`: blis.py.gemm (explosion's build, single-threaded);
    torch torch.mm (MKL inside PyTorch's CPU wheel).
Prints GFLOP/s per shape and library; benchmarks/RESULTS.md has the reading. Only a benchmark:
gradwork imports none of these.
"""
import argparse
import ctypes
import glob
import os
import sys
import time

import numpy as np

# (what, M, K, N): C (M×N) = A (M×K) · B (K×N)
SHAPES = [
    ("W3 h·W_hhᵀ", 32, 128, 512), ("W3 dgates·W_hh", 32, 512, 128),
    ("W3 dW_hh over T", 512, 2048, 128), ("W3 x·W_ihᵀ all T", 2048, 32, 512),
    ("W2 16-ch fwd", 16, 144, 131072), ("W2 32-ch fwd", 32, 288, 32768),
    ("W2 64-ch fwd", 64, 576, 8192), ("W2 32-ch Wᵀ·dy", 288, 32, 32768),
    ("W2 32-ch dy·colsᵀ", 32, 32768, 288), ("W4 conv1_2", 64, 576, 50176),
    ("W4 conv5", 512, 4608, 196), ("W4 fc6 (batch 1)", 1, 25088, 4096),
    ("W1 fc 400→120", 64, 400, 120), ("square 2048", 2048, 2048, 2048),
]


def _best(fn, args, reps):
    fn(*args)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def _mkl(threads):
    paths = glob.glob(os.path.join(sys.prefix, "lib", "libmkl_rt.so*"))
    if not paths:
        return None, "not installed (pip install mkl==2026.2.0)"
    lib = ctypes.CDLL(paths[0])
    lib.MKL_Set_Num_Threads(threads)
    ptr, i, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
    lib.cblas_sgemm.argtypes = [i] * 6 + [f, ptr, i, ptr, i, f, ptr, i]

    def mm(a, b, out):
        (m, k), n = a.shape, b.shape[1]
        lib.cblas_sgemm(101, 111, 111, m, n, k, 1.0, a.ctypes.data, k, b.ctypes.data, n, 0.0,
                        out.ctypes.data, n)          # 101: row-major, 111: no transpose
    return mm, None


def _blis():
    try:
        import blis.py
    except ImportError:
        return None, "not installed (pip install blis==1.3.4)"
    return lambda a, b, out: blis.py.gemm(a, b, out=out, beta=0.0), None   # beta defaults to 1


def _torch(threads):
    try:
        import torch
    except ImportError:
        return None, "not installed"
    torch.set_num_threads(threads)
    return lambda a, b, out: torch.mm(torch.from_numpy(a), torch.from_numpy(b),
                                      out=torch.from_numpy(out)), None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gemm_libraries",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    from gradwork.threads import set_num_threads
    set_num_threads(args.threads)
    libs = {"OpenBLAS": (lambda a, b, out: np.matmul(a, b, out=out), None),
            "MKL": _mkl(args.threads), "BLIS": _blis(), "torch.mm": _torch(args.threads)}
    for name, (fn, why) in libs.items():
        if fn is None:
            print(f"# {name}: {why}")
    libs = {k: fn for k, (fn, _) in libs.items() if fn is not None}
    print(f"# GFLOP/s, float32, {args.threads} threads, load {os.getloadavg()[0]:.2f}, "
          f"MKL_THREADING_LAYER={os.environ.get('MKL_THREADING_LAYER', '(default)')}")
    print("| shape | M×K×N | " + " | ".join(libs) + " |")
    print("| --- | --- |" + " --- |" * len(libs))
    rng = np.random.default_rng(0)
    for what, m, k, n in SHAPES:
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        ref = a @ b
        reps = max(1, int(2e8 / (m * k * n)))
        cells = []
        for fn in libs.values():
            fn(a, b, out)
            np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-2)   # same product
            cells.append(f"{2 * m * k * n / 1e9 / _best(fn, (a, b, out), reps):.0f}")
        print(f"| {what} | {m}×{k}×{n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
