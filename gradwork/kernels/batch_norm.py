"""Batch norm's per-channel passes over an (N, C, M) array (Ioffe & Szegedy 2015, Alg. 1).

Forward: one pass for the moments, one for y = (x − μ)·a + b. Backward: one pass for Σdy and
Σdy·(x − μ), one for dx. Sums accumulate in float64 (`float()` is a double in Numba),
whatever the input's dtype.
"""
from .jit import kernel


@kernel
def channel_moments(x, mean, var, c0=0, c1=-1):
    """mean[c], var[c] ← mean and biased variance of x[:, c, :] (float64 outputs), for the
    channels c0 ≤ c < c1 (all by default: a thread's share, on the whole contiguous array).

    Accumulates about the channel's first value, so a large mean does not cancel the variance."""
    N, C, M = x.shape
    count = N * M
    for c in range(c0, C if c1 < 0 else c1):
        shift = float(x[0, c, 0])
        s = 0.0
        ss = 0.0
        for n in range(N):
            for m in range(M):
                v = float(x[n, c, m]) - shift
                s += v
                ss += v * v
        mu = s / count
        mean[c] = shift + mu
        var[c] = max(ss / count - mu * mu, 0.0)


@kernel
def channel_affine(x, mean, scale, shift, out):
    """out[n, c, m] = (x[n, c, m] − mean[c])·scale[c] + shift[c]."""
    N, C, M = x.shape
    for n in range(N):
        for c in range(C):
            mu, a, b = mean[c], scale[c], shift[c]
            for m in range(M):
                out[n, c, m] = (x[n, c, m] - mu) * a + b


@kernel
def channel_grad_sums(g, x, mean, sum_g, sum_gxc, c0=0, c1=-1):
    """sum_g[c] ← Σ g[:, c, :];  sum_gxc[c] ← Σ g[:, c, :]·(x[:, c, :] − mean[c]) (float64), for
    the channels c0 ≤ c < c1 (all by default)."""
    N, C, M = x.shape
    for c in range(c0, C if c1 < 0 else c1):
        mu = mean[c]
        s = 0.0
        sx = 0.0
        for n in range(N):
            for m in range(M):
                gv = float(g[n, c, m])
                s += gv
                sx += gv * (float(x[n, c, m]) - mu)
        sum_g[c] = s
        sum_gxc[c] = sx


@kernel
def batch_norm_input_grad(g, x, mean, k, kx, k0, out):
    """out[n, c, m] = k[c]·g[n, c, m] + kx[c]·(x[n, c, m] − mean[c]) + k0[c]."""
    N, C, M = x.shape
    for n in range(N):
        for c in range(C):
            mu, a, b, d = mean[c], k[c], kx[c], k0[c]
            for m in range(M):
                out[n, c, m] = a * g[n, c, m] + b * (x[n, c, m] - mu) + d
