"""kernels/lstm_loop.py: its GEMM (NumPy's OpenBLAS called from compiled code, kernels/blas.py)
against NumPy's matmul, cut into row blocks, onto strided rows, with beta; the whole loops
against the step kernels are tested through the op (tests/ops/test_recurrent_fused.py)."""
import numpy as np
import pytest

from gradwork.kernels import blas, lstm_loop


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("rows", [0, 3, 8])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_rows_matmul_is_matmul_on_its_rows(dtype, tol, rows, beta):
    """c[lo:hi] = a[lo:hi] @ b + beta·c[lo:hi] on row views of wider arrays (lda, ldc > the
    columns used); rows outside [lo, hi) untouched."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((11, 9)).astype(dtype)[:, :5]          # (11, 5), row stride 9
    b = rng.standard_normal((5, 7)).astype(dtype)
    c = rng.standard_normal((11, 10)).astype(dtype)
    view = c[:, 2:9]                                                # (11, 7), row stride 10
    before = c.copy()
    lstm_loop.rows_matmul(blas.gemm(dtype), a, b, view, beta, 2, 10, rows)
    expected = before.copy()
    expected[2:10, 2:9] = a[2:10] @ b + beta * before[2:10, 2:9]
    np.testing.assert_allclose(c, expected, rtol=tol, atol=tol)


def test_gemm_is_found_for_float32_and_float64_only():
    """NumPy's wheel exports cblas_sgemm / cblas_dgemm (scipy-openblas, ILP64 or not); there
    is no half-precision GEMM."""
    for dtype in (np.float32, np.float64):
        fn = blas.gemm(dtype)
        assert fn is not None and fn.restype is None and len(fn.argtypes) == 14
    assert blas.gemm(np.float16) is None and blas.gemm(np.int64) is None
