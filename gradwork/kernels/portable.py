"""The compiled kernels' plain array-module forms, for arrays that Numba cannot take (CuPy).

Each function has its compiled twin's name, arguments and result (written into the outputs it
is given), in array-module expressions: more passes over memory, the same numbers (float64
sums). `gradwork.backend.kernel` picks one or the other; tests compare the two on NumPy.
"""


def _xp(a):
    from ..backend import array_module
    return array_module(a)


def channel_moments(x, mean, var, c0=0, c1=-1):
    """mean[c], var[c] ← mean and biased variance of x[:, c, :] (float64), c0 ≤ c < c1."""
    xp, c1 = _xp(x), x.shape[1] if c1 < 0 else c1
    x64 = x[:, c0:c1].astype(xp.float64, copy=False)
    mean[c0:c1] = x64.mean(axis=(0, 2))
    var[c0:c1] = xp.maximum(((x64 - mean[c0:c1, None]) ** 2).mean(axis=(0, 2)), 0.0)


def channel_affine(x, mean, scale, shift, out):
    """out[n, c, m] = (x[n, c, m] − mean[c])·scale[c] + shift[c]."""
    out[...] = (x - mean[:, None]) * scale[:, None] + shift[:, None]


def channel_grad_sums(g, x, mean, sum_g, sum_gxc, c0=0, c1=-1):
    """sum_g[c] ← Σ g[:, c, :];  sum_gxc[c] ← Σ g[:, c, :]·(x[:, c, :] − mean[c]) (float64),
    c0 ≤ c < c1."""
    xp, c1 = _xp(x), x.shape[1] if c1 < 0 else c1
    g64 = g[:, c0:c1].astype(xp.float64, copy=False)
    x64 = x[:, c0:c1].astype(xp.float64, copy=False)
    sum_g[c0:c1] = g64.sum(axis=(0, 2))
    sum_gxc[c0:c1] = xp.einsum("ncm,ncm->c", g64, x64 - mean[c0:c1, None])


def batch_norm_input_grad(g, x, mean, k, kx, k0, out):
    """out[n, c, m] = k[c]·g[n, c, m] + kx[c]·(x[n, c, m] − mean[c]) + k0[c]."""
    out[...] = k[:, None] * g + kx[:, None] * (x - mean[:, None]) + k0[:, None]


def relu_backward(g, y, out):
    """out[i] = g[i] if y[i] > 0 else 0, over flat arrays."""
    out[...] = g * (y > 0)


def _lstm_blocks(a, H, coupled):
    """(i or None, f, g, o) column blocks of an (n, G·H) array."""
    if coupled:
        return None, a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
    return a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]


def lstm_gates_forward(a, hw, c_prev, w_ci, w_cf, w_co, coupled, approx, c_out, tanh_c, h_out):
    """One LSTM step's gates in place (kernels/lstm.py); exact tanh whatever `approx`."""
    xp, H = _xp(a), c_prev.shape[1]
    a += hw
    i, f, g, o = _lstm_blocks(a, H, coupled)
    if w_cf.shape[0]:
        f += w_cf * c_prev
    if w_ci.shape[0]:
        i += w_ci * c_prev
    sig = a[:, :H if coupled else 2 * H]                # the σ blocks before g
    sig[...] = 0.5 * xp.tanh(0.5 * sig) + 0.5
    g[...] = xp.tanh(g)
    c_out[...] = g + f * (c_prev - g) if coupled else f * c_prev + i * g
    if w_co.shape[0]:
        o += w_co * c_out
    o[...] = 0.5 * xp.tanh(0.5 * o) + 0.5
    tanh_c[...] = xp.tanh(c_out)
    h_out[...] = o * tanh_c


def lstm_gates_backward(dh, dout, dc, act, c_prev, tanh_c, w_ci, w_cf, w_co, coupled, da):
    """One LSTM step back (kernels/lstm.py): dh += dout; δ_t → da; dc ← ∂L/∂c_{t−1}."""
    H = dc.shape[1]
    dh += dout
    i, f, g, o = _lstm_blocks(act, H, coupled)
    di, df, dg, do = _lstm_blocks(da, H, coupled)
    do[...] = dh * tanh_c * o * (1 - o)
    dc += dh * o * (1 - tanh_c * tanh_c)
    if w_co.shape[0]:
        dc += do * w_co
    if coupled:
        df[...] = dc * (c_prev - g) * f * (1 - f)
        dg[...] = dc * (1 - f) * (1 - g * g)
    else:
        di[...] = dc * g * i * (1 - i)
        df[...] = dc * c_prev * f * (1 - f)
        dg[...] = dc * i * (1 - g * g)
    dc *= f
    if w_cf.shape[0]:
        dc += df * w_cf
    if w_ci.shape[0]:
        dc += di * w_ci
