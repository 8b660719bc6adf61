"""The LSTM's gate arithmetic of one time step in one call, forward and backward (Hochreiter &
Schmidhuber 1997; deck 004 "LSTM in detail"; peepholes: Gers & Schmidhuber 2000; coupled
gates: deck 004, i = 1 − f).

    i, f, o = σ(a_{i,f,o} + hw_{i,f,o} [+ w_c{i,f} ⊙ c_{t−1}, + w_co ⊙ c_t]),  g = tanh(a_g + hw_g)
    c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

a = x_t W_ihᵀ + b (every step's projection, one GEMM), hw = h_{t−1} W_hhᵀ (one GEMM per step).
NumPy makes ten calls of a few µs per step over (n, 4H) and (n, H) arrays; this is one call,
and its backward needs none of the (T, N, 4H) arrays of derivatives the NumPy path precomputes.

Gate blocks: (i, f, g, o), or (f, g, o) when coupled. Peephole weights are (H,) arrays, or
empty (0,) arrays where the cell has none (w_ci is empty for a coupled cell).

Each row is done in short loops over at most four arrays each: LLVM vectorises a loop only
when it can check cheaply at run time that its arrays do not overlap, so one loop over every
array at once stays scalar (measured 2–3× slower). Without SVML Numba's math.tanh is libm's
scalar tanh, which does not vectorise either: float32 (`approx`) uses Eigen's rational
approximation (generic_fast_tanh_float: |error| ≤ 3·10⁻⁷, the input clamped to ±7.9), float64
keeps math.tanh (gradient checks).
"""
import math

from .jit import kernel

# Eigen's generic_fast_tanh_float: tanh(x) ≈ x·P(x²)/Q(x²) on |x| ≤ 7.90531110763549805
_CLAMP = 7.90531110763549805
_P = (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
      1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03)
_Q = (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03)


@kernel
def tanh_inplace(v, approx):
    """v ← tanh(v), v a 1-D array; approx: the rational tanh (else math.tanh). Shared by the
    recurrent gate kernels (this file's, kernels/gru.py)."""
    if approx:                                          # (the test outside the loop: LLVM
        dt = v.dtype.type                               # vectorises it then; constants in
        clamp = dt(_CLAMP)                              # the array's dtype: float32
        p0, p1, p2, p3 = dt(_P[0]), dt(_P[1]), dt(_P[2]), dt(_P[3])   # arithmetic vectorises
        p4, p5, p6 = dt(_P[4]), dt(_P[5]), dt(_P[6])                  # twice as wide)
        q0, q1, q2, q3 = dt(_Q[0]), dt(_Q[1]), dt(_Q[2]), dt(_Q[3])
        for j in range(v.shape[0]):
            x = v[j]
            x = clamp if x > clamp else x               # a NaN fails both tests: stays NaN
            x = -clamp if x < -clamp else x
            x2 = x * x
            p = ((((((p0 * x2 + p1) * x2 + p2) * x2 + p3) * x2 + p4) * x2 + p5) * x2 + p6) * x
            v[j] = p / (((q0 * x2 + q1) * x2 + q2) * x2 + q3)
    else:
        for j in range(v.shape[0]):
            v[j] = math.tanh(v[j])


@kernel
def sigmoid_inplace(v, approx):
    """v ← σ(v) = ½ tanh(½v) + ½, v a 1-D array."""
    half = v.dtype.type(0.5)
    for j in range(v.shape[0]):
        v[j] *= half
    tanh_inplace(v, approx)
    for j in range(v.shape[0]):
        v[j] = half * v[j] + half


@kernel
def lstm_gates_forward(a, hw, c_prev, w_ci, w_cf, w_co, coupled, approx, c_out, tanh_c, h_out):
    """One step over rows [0, n): a (n, G·H) input pre-activations, overwritten by the gate
    activations; hw (n, G·H) = h_{t−1} W_hhᵀ; c_prev (n, H) → c_out, tanh_c, h_out (n, H).
    approx: the rational tanh (else math.tanh)."""
    def tanh(v):
        tanh_inplace(v, approx)

    def sigmoid(v):
        sigmoid_inplace(v, approx)

    H = c_prev.shape[1]
    G = 3 if coupled else 4
    for r in range(a.shape[0]):
        ar, hr, cp, cr, tr, hn = a[r], hw[r], c_prev[r], c_out[r], tanh_c[r], h_out[r]
        i = ar[:0] if coupled else ar[:H]               # (coupled: i = 1 − f, not stored)
        f, g, o = ar[(G - 3) * H:(G - 2) * H], ar[(G - 2) * H:(G - 1) * H], ar[(G - 1) * H:G * H]
        sig = ar[:(G - 2) * H]                          # the σ blocks before g: i, f or f
        for j in range(G * H):
            ar[j] += hr[j]
        if w_cf.shape[0] > 0:                           # f (and i) peep at c_{t−1}
            for j in range(H):
                f[j] += w_cf[j] * cp[j]
            for j in range(w_ci.shape[0]):
                i[j] += w_ci[j] * cp[j]
        sigmoid(sig)
        tanh(g)
        if coupled:                                     # c = f c_{t−1} + (1 − f) g
            for j in range(H):
                cr[j] = g[j] + f[j] * (cp[j] - g[j])
        else:                                           # c = f c_{t−1} + i g
            for j in range(H):
                cr[j] = f[j] * cp[j] + i[j] * g[j]
        if w_co.shape[0] > 0:                           # o peeps at c_t
            for j in range(H):
                o[j] += w_co[j] * cr[j]
        sigmoid(o)
        for j in range(H):
            tr[j] = cr[j]
        tanh(tr)
        for j in range(H):
            hn[j] = o[j] * tr[j]


@kernel
def lstm_gates_backward(dh, dout, dc, act, c_prev, tanh_c, w_ci, w_cf, w_co, coupled, da):
    """One step back over rows [0, n): dh (n, H) = ∂L/∂h_t from step t+1, to which dout
    (n, H) = ∂L/∂ŷ_t is added in place; dc (n, H) = ∂L/∂c_t in, ∂L/∂c_{t−1} out; act (n, G·H)
    the gate activations; writes da (n, G·H) = δ_t, the gates' pre-activation gradients
    (∂L/∂h_{t−1} = δ_t W_hh is then one GEMM)."""
    one = da.dtype.type(1.0)
    H = dc.shape[1]
    G = 3 if coupled else 4
    for r in range(da.shape[0]):
        d, dcr, ar, cp, tr, dr, dar = dh[r], dc[r], act[r], c_prev[r], tanh_c[r], dout[r], da[r]
        f, g, o = ar[(G - 3) * H:(G - 2) * H], ar[(G - 2) * H:(G - 1) * H], ar[(G - 1) * H:]
        df, dg, do = dar[(G - 3) * H:(G - 2) * H], dar[(G - 2) * H:(G - 1) * H], dar[(G - 1) * H:]
        for j in range(H):
            d[j] += dr[j]                               # ∂L/∂h_t
        for j in range(H):                              # h = o tanh(c); σ' = σ(1 − σ)
            do[j] = d[j] * tr[j] * o[j] * (one - o[j])
        for j in range(H):                              # tanh' = 1 − tanh²
            dcr[j] += d[j] * o[j] * (one - tr[j] * tr[j])
        for j in range(w_co.shape[0]):                  # o peeps at c_t
            dcr[j] += do[j] * w_co[j]
        if coupled:                                     # c = f c_{t−1} + (1 − f) g
            for j in range(H):
                df[j] = dcr[j] * (cp[j] - g[j]) * f[j] * (one - f[j])
            for j in range(H):
                dg[j] = dcr[j] * (one - f[j]) * (one - g[j] * g[j])
        else:                                           # c = f c_{t−1} + i g
            i, di = ar[:H], dar[:H]
            for j in range(H):
                di[j] = dcr[j] * g[j] * i[j] * (one - i[j])
            for j in range(H):
                df[j] = dcr[j] * cp[j] * f[j] * (one - f[j])
            for j in range(H):
                dg[j] = dcr[j] * i[j] * (one - g[j] * g[j])
        for j in range(H):
            dcr[j] *= f[j]                              # ∂c_t/∂c_{t−1} = f
        for j in range(w_cf.shape[0]):                  # f peeps at c_{t−1}
            dcr[j] += df[j] * w_cf[j]
        for j in range(w_ci.shape[0]):                  # i peeps at c_{t−1} (not coupled)
            dcr[j] += dar[j] * w_ci[j]
