"""The LSTM's whole time loop in one compiled call per direction: forward over all T steps,
backward over all T steps, each step's recurrent GEMM made by NumPy's OpenBLAS from inside
the loop (kernels/blas.py) and its gates by kernels/lstm.py's step kernels.

    forward,  t = 0 … T−1:  hw = h_{t−1} W_hhᵀ;  (i, f, g, o, c_t, tanh c_t, h_t) = gates(a_t, hw)
    backward, t = T−1 … 0:  δ_t, ∂L/∂c_{t−1} = gates′(∂L/∂h_t + ∂L/∂ŷ_t, ∂L/∂c_t);
                            ∂L/∂h_{t−1} = δ_t W_hh                  (deck 004, BPTT)

The per-step Python of the step-by-step loop (ops/recurrent.py), a GEMM call and a kernel
call of about a dozen arguments each, cost more than the step's arithmetic at W3's size
(batch 32, hidden 128); here a step is two C calls. The GIL is released for the whole loop,
so two threads can each run the loop over their own rows at once.

Each loop covers the rows [lo, hi) of those still running at step t (the first sizes[t]
rows: the sequences are sorted by decreasing length); `rows` cuts each GEMM into calls of at
most that many rows, as even as can be (0: one call), as ops/recurrent_fused.step_matmul does.
The two public functions find the GEMM for the arrays' dtype and return False, touching
nothing, where NumPy's BLAS has none (the caller then runs its step-by-step loop).
"""
from . import blas
from .blas import NO_TRANS, ROW_MAJOR
from .jit import kernel
from .lstm import lstm_gates_backward, lstm_gates_forward


def lstm_forward_loop(acts, *args):
    """_forward_loop with the GEMM of acts' dtype: True, or False where there is none."""
    fn = blas.gemm(acts.dtype)
    return fn is not None and _forward_loop(fn, acts, *args) is None


def lstm_backward_loop(dout, *args):
    """_backward_loop with the GEMM of dout's dtype: True, or False where there is none."""
    fn = blas.gemm(dout.dtype)
    return fn is not None and _backward_loop(fn, dout, *args) is None


@kernel
def rows_matmul(gemm, a, b, c, lo, hi, rows):
    """c[lo:hi] = a[lo:hi] @ b by cblas gemm; a, b, c 2-D with unit column stride."""
    m, k, n = hi - lo, b.shape[0], b.shape[1]
    parts = 1 if rows <= 0 or m <= rows else -(-m // rows)
    lda, ldb, ldc = a.strides[0] // a.itemsize, b.strides[0] // b.itemsize, \
        c.strides[0] // c.itemsize
    for p in range(parts):
        r0, r1 = lo + m * p // parts, lo + m * (p + 1) // parts
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, r1 - r0, n, k, 1.0, a[r0:r1].ctypes.data, lda,
             b.ctypes.data, ldb, 0.0, c[r0:r1].ctypes.data, ldc)


@kernel
def _forward_loop(gemm, acts, hs, cs, tanh_c, w_hh_t, hw, w_ci, w_cf, w_co, coupled,
                  approx, sizes, lo, hi, rows):
    """acts (T, N, G·H) input pre-activations → gate activations; hs, cs (T+1, N, H) with
    the initial states at 0 → every state; tanh_c (T, N, H); w_hh_t (H, G·H); hw (N, G·H)
    scratch. The other arguments as lstm_gates_forward's."""
    for t in range(acts.shape[0]):
        n = min(sizes[t], hi)
        if n <= lo:
            break                                       # sizes decrease
        rows_matmul(gemm, hs[t], w_hh_t, hw, lo, n, rows)
        lstm_gates_forward(acts[t, lo:n], hw[lo:n], cs[t, lo:n], w_ci, w_cf, w_co, coupled,
                           approx, cs[t + 1, lo:n], tanh_c[t, lo:n], hs[t + 1, lo:n])


@kernel
def _backward_loop(gemm, dout, dh, dc, acts, cs, tanh_c, w_hh, w_ci, w_cf, w_co, coupled,
                   da, sizes, lo, hi, rows):
    """dout (T, N, H) = ∂L/∂ŷ; dh, dc (N, H): ∂L/∂h_T, ∂L/∂c_T in, ∂L/∂h_0, ∂L/∂c_0 out;
    writes da (T, N, G·H) = every δ_t. acts, cs, tanh_c as the forward loop left them;
    w_hh (G·H, H)."""
    for t in range(acts.shape[0] - 1, -1, -1):
        n = min(sizes[t], hi)
        if n <= lo:
            continue
        lstm_gates_backward(dh[lo:n], dout[t, lo:n], dc[lo:n], acts[t, lo:n], cs[t, lo:n],
                            tanh_c[t, lo:n], w_ci, w_cf, w_co, coupled, da[t, lo:n])
        rows_matmul(gemm, da[t], w_hh, dh, lo, n, rows)
