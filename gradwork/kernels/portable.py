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
