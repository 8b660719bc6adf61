"""The GRU's whole time loop in one compiled call per direction (PyTorch's GRU, reset gate
after the matmul; Cho et al. 2014 as PyTorch writes it), as kernels/lstm_loop.py does the
LSTM's: per step the GEMMs by NumPy's OpenBLAS from inside the loop, the gates in one pass.

    r, z = σ(a_{r,z} + hg_{r,z}),  n = tanh(a_n + r ⊙ hg_n),  h_t = n + z ⊙ (h_{t−1} − n)
    a = b_ih + x_t W_ihᵀ,  hg = b_hh + h_{t−1} W_hhᵀ     (gate blocks r, z, n)

Back, with δ = ∂L/∂h_t + ∂L/∂ŷ_t: dn = δ(1 − z)(1 − n²), dz = δ(h_{t−1} − n) z(1 − z),
dr = dn·hg_n·r(1 − r); the input pre-activations get [dr, dz, dn], hg gets [dr, dz, r·dn],
and ∂L/∂h_{t−1} = δ ⊙ z + [dr, dz, r·dn] W_hh, ∂L/∂x_t = [dr, dz, dn] W_ih.
"""
from .jit import kernel
from .lstm import sigmoid_inplace, tanh_inplace
from .lstm_loop import rows_matmul


@kernel
def gru_gates_forward(a, hg, h_prev, approx, h_out):
    """One step over rows [0, n): a (n, 3H) input pre-activations → [r, z, n]; hg (n, 3H) =
    b_hh + h_{t−1} W_hhᵀ (kept: backward reads hg_n); h_prev → h_out (n, H)."""
    H = h_prev.shape[1]
    for i in range(a.shape[0]):
        ar, gr, hp, ho = a[i], hg[i], h_prev[i], h_out[i]
        rz, r, z, n, g_rz, g_n = ar[:2 * H], ar[:H], ar[H:2 * H], ar[2 * H:3 * H], \
            gr[:2 * H], gr[2 * H:3 * H]
        for j in range(2 * H):
            rz[j] += g_rz[j]
        sigmoid_inplace(rz, approx)
        for j in range(H):
            n[j] += r[j] * g_n[j]
        tanh_inplace(n, approx)
        for j in range(H):
            ho[j] = n[j] + z[j] * (hp[j] - n[j])


@kernel
def gru_gates_backward(dh, dout, act, hg, h_prev, dx, dhg):
    """One step back over rows [0, n): dh (n, H) = ∂L/∂h_t from step t+1, dout added in place,
    left as δ ⊙ z (the GEMM dhg W_hh is added after); act (n, 3H) = [r, z, n]; writes dx
    (n, 3H) = [dr, dz, dn] and dhg (n, 3H) = [dr, dz, r·dn]."""
    one = dx.dtype.type(1.0)
    H = dh.shape[1]
    for i in range(dx.shape[0]):
        d, do, ar, hp, g_n = dh[i], dout[i], act[i], h_prev[i], hg[i][2 * H:3 * H]
        r, z, n = ar[:H], ar[H:2 * H], ar[2 * H:3 * H]
        dr, dz, dn = dx[i][:H], dx[i][H:2 * H], dx[i][2 * H:3 * H]
        gr, gz, gn = dhg[i][:H], dhg[i][H:2 * H], dhg[i][2 * H:3 * H]
        for j in range(H):
            d[j] += do[j]
        for j in range(H):
            dn[j] = d[j] * (one - z[j]) * (one - n[j] * n[j])
        for j in range(H):
            dz[j] = d[j] * (hp[j] - n[j]) * z[j] * (one - z[j])
        for j in range(H):
            dr[j] = dn[j] * g_n[j] * r[j] * (one - r[j])
        for j in range(H):
            gr[j] = dr[j]
        for j in range(H):
            gz[j] = dz[j]
        for j in range(H):
            gn[j] = r[j] * dn[j]
        for j in range(H):
            d[j] *= z[j]


@kernel
def _fill_rows(a, b, lo, hi):
    """a[r] = b for the rows r in [lo, hi)."""
    for r in range(lo, hi):
        ar = a[r]
        for j in range(b.shape[0]):
            ar[j] = b[j]


@kernel
def gru_forward_loop(gemm, xs, w_ih_t, b_ih, acts, hgs, hs, w_hh_t, b_hh, approx, sizes, lo,
                     hi, rows, rows_x):
    """xs (T, N, I), w_ih_t (I, 3H), b_ih (3H,) → acts (T, N, 3H) the gate activations;
    hgs (T, N, 3H) ← b_hh + h_{t−1} W_hhᵀ; hs (T+1, N, H) with h_0 at 0 → every state."""
    for t in range(acts.shape[0]):
        n = min(sizes[t], hi)
        if n <= lo:
            break                                       # sizes decrease
        a, g = acts[t], hgs[t]
        _fill_rows(a, b_ih, lo, n)
        _fill_rows(g, b_hh, lo, n)
        rows_matmul(gemm, xs[t], w_ih_t, a, 1.0, lo, n, rows_x)
        rows_matmul(gemm, hs[t], w_hh_t, g, 1.0, lo, n, rows)
        gru_gates_forward(a[lo:n], g[lo:n], hs[t, lo:n], approx, hs[t + 1, lo:n])


@kernel
def gru_backward_loop(gemm, dout, dh, acts, hgs, hs, w_hh, dx, dhg, w_ih, dxs, sizes, lo, hi,
                      rows, rows_x):
    """dout (T, N, H); dh (N, H): ∂L/∂h_T in, ∂L/∂h_0 out; writes dx, dhg (T, N, 3H) and dxs
    (T, N, I) = every [dr, dz, dn] W_ih (unless dxs is empty). w_hh (3H, H), w_ih (3H, I)."""
    for t in range(acts.shape[0] - 1, -1, -1):
        n = min(sizes[t], hi)
        if n <= lo:
            continue
        gru_gates_backward(dh[lo:n], dout[t, lo:n], acts[t, lo:n], hgs[t, lo:n], hs[t, lo:n],
                           dx[t, lo:n], dhg[t, lo:n])
        rows_matmul(gemm, dhg[t], w_hh, dh, 1.0, lo, n, rows)
        if dxs.shape[0] > 0:
            rows_matmul(gemm, dx[t], w_ih, dxs[t], 0.0, lo, n, rows_x)
