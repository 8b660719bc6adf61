"""The compiled kernels' plain array-module forms, for arrays that Numba cannot take (CuPy).

Each function has its compiled twin's name, arguments and result (written into the outputs it
is given), in array-module expressions: more passes over memory, the same numbers (float64
sums). `gradwork.backend.kernel` picks one or the other; tests compare the two on NumPy.
"""


def _xp(a):
    from ..backend import array_module
    return array_module(a)


def channel_moments(x, mean, var):
    """mean[c], var[c] ← mean and biased variance of x[:, c, :] (float64)."""
    xp = _xp(x)
    x64 = x.astype(xp.float64, copy=False)
    mean[...] = x64.mean(axis=(0, 2))
    var[...] = xp.maximum(((x64 - mean[:, None]) ** 2).mean(axis=(0, 2)), 0.0)


def channel_affine(x, mean, scale, shift, out):
    """out[n, c, m] = (x[n, c, m] − mean[c])·scale[c] + shift[c]."""
    out[...] = (x - mean[:, None]) * scale[:, None] + shift[:, None]


def channel_grad_sums(g, x, mean, sum_g, sum_gxc):
    """sum_g[c] ← Σ g[:, c, :];  sum_gxc[c] ← Σ g[:, c, :]·(x[:, c, :] − mean[c]) (float64)."""
    xp = _xp(x)
    g64 = g.astype(xp.float64, copy=False)
    sum_g[...] = g64.sum(axis=(0, 2))
    sum_gxc[...] = xp.einsum("ncm,ncm->c", g64, x.astype(xp.float64, copy=False) - mean[:, None])


def batch_norm_input_grad(g, x, mean, k, kx, k0, out):
    """out[n, c, m] = k[c]·g[n, c, m] + kx[c]·(x[n, c, m] − mean[c]) + k0[c]."""
    out[...] = k[:, None] * g + kx[:, None] * (x - mean[:, None]) + k0[:, None]


def relu_backward(g, y, out):
    """out[i] = g[i] if y[i] > 0 else 0, over flat arrays."""
    out[...] = g * (y > 0)
