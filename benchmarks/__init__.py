"""Benchmarks against PyTorch: the workloads of WORKLOADS.md, timed in the same run.

Importing this package pins the BLAS/OpenMP thread pools to 2 (the reference machine's cores)
before NumPy or PyTorch is imported by anything under it; run it as `python -m benchmarks.run`.
"""
import os

THREADS = 2
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(THREADS)
