"""The LSTM's whole time loop in one compiled call per direction: forward over all T steps,
backward over all T steps, the GEMMs of each step made by NumPy's OpenBLAS from inside the
loop (kernels/blas.py) and its gates by kernels/lstm.py's step kernels.

    forward,  t = 0 … T−1:  a_t = b + x_t W_ihᵀ,  hw = h_{t−1} W_hhᵀ;
                            (i, f, g, o, c_t, tanh c_t, h_t) = gates(a_t, hw, c_{t−1})
    backward, t = T−1 … 0:  δ_t, ∂L/∂c_{t−1} = gates′(∂L/∂h_t + ∂L/∂ŷ_t, ∂L/∂c_t);
                            ∂L/∂h_{t−1} = δ_t W_hh,  ∂L/∂x_t = δ_t W_ih   (deck 004, BPTT)

The per-step Python of the step-by-step loop (ops/recurrent.py: a GEMM call and a kernel
call of about a dozen arguments each) cost more than the step's gate arithmetic at W3's size
(batch 32, hidden 128), and the input projection of all steps as one GEMM before the loop
wrote and read back a (T, N, 4H) array (and ∂L/∂x after it read δ again); here a step is
three C calls each way on data in cache. The GIL
is released for the whole loop, so two threads run it over their own rows at once.

Each loop covers the rows [lo, hi) of those still running at step t (the first sizes[t]
rows: the sequences are sorted by decreasing length). `gemm` is kernels/blas.py's function for
the arrays' dtype; `rows` (`rows_x`) cuts each h (x) GEMM into calls of at most that many
rows, as even as can be (0: one call), as ops/recurrent_fused.step_matmul does.
"""
from .blas import NO_TRANS, ROW_MAJOR
from .jit import kernel
from .lstm import lstm_gates_backward, lstm_gates_forward


@kernel
def rows_matmul(gemm, a, b, c, beta, lo, hi, rows):
    """c[lo:hi] = a[lo:hi] @ b + beta·c[lo:hi] by cblas gemm; a, b, c 2-D, unit column stride."""
    m, k, n = hi - lo, b.shape[0], b.shape[1]
    parts = 1 if rows <= 0 or m <= rows else -(-m // rows)
    lda, ldb, ldc = a.strides[0] // a.itemsize, b.strides[0] // b.itemsize, \
        c.strides[0] // c.itemsize
    for p in range(parts):
        r0, r1 = lo + m * p // parts, lo + m * (p + 1) // parts
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, r1 - r0, n, k, 1.0, a[r0:r1].ctypes.data, lda,
             b.ctypes.data, ldb, beta, c[r0:r1].ctypes.data, ldc)


@kernel
def lstm_forward_loop(gemm, xs, w_ih_t, bias, acts, hs, cs, tanh_c, w_hh_t, hw, w_ci, w_cf,
                      w_co, coupled, approx, sizes, lo, hi, rows, rows_x):
    """xs (T, N, I) inputs, w_ih_t (I, G·H), bias (G·H,) → acts (T, N, G·H) the gate
    activations; hs, cs (T+1, N, H) with the initial states at 0 → every state; tanh_c
    (T, N, H); w_hh_t (H, G·H); hw (N, G·H) scratch. The rest as lstm_gates_forward's."""
    for t in range(acts.shape[0]):
        n = min(sizes[t], hi)
        if n <= lo:
            break                                       # sizes decrease
        a = acts[t]
        for r in range(lo, n):
            ar = a[r]
            for j in range(bias.shape[0]):
                ar[j] = bias[j]
        rows_matmul(gemm, xs[t], w_ih_t, a, 1.0, lo, n, rows_x)
        rows_matmul(gemm, hs[t], w_hh_t, hw, 0.0, lo, n, rows)
        lstm_gates_forward(a[lo:n], hw[lo:n], cs[t, lo:n], w_ci, w_cf, w_co, coupled, approx,
                           cs[t + 1, lo:n], tanh_c[t, lo:n], hs[t + 1, lo:n])


@kernel
def lstm_backward_loop(gemm, dout, dh, dc, acts, cs, tanh_c, w_hh, w_ci, w_cf, w_co, coupled,
                       da, w_ih, dxs, sizes, lo, hi, rows, rows_x):
    """dout (T, N, H) = ∂L/∂ŷ; dh, dc (N, H): ∂L/∂h_T, ∂L/∂c_T in, ∂L/∂h_0, ∂L/∂c_0 out;
    writes da (T, N, G·H) = every δ_t and dxs (T, N, I) = every δ_t W_ih (unless dxs is
    empty). acts, cs, tanh_c as the forward loop left them; w_hh (G·H, H), w_ih (G·H, I)."""
    for t in range(acts.shape[0] - 1, -1, -1):
        n = min(sizes[t], hi)
        if n <= lo:
            continue
        lstm_gates_backward(dh[lo:n], dout[t, lo:n], dc[lo:n], acts[t, lo:n], cs[t, lo:n],
                            tanh_c[t, lo:n], w_ci, w_cf, w_co, coupled, da[t, lo:n])
        rows_matmul(gemm, da[t], w_hh, dh, 0.0, lo, n, rows)
        if dxs.shape[0] > 0:
            rows_matmul(gemm, da[t], w_ih, dxs[t], 0.0, lo, n, rows_x)
