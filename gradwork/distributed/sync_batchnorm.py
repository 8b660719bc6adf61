"""Batch normalisation with statistics over the whole global batch (every rank's samples).

Forward all-reduces, per channel, [Σx, Σx², n] (one MPI_Allreduce, float64) so that every
rank normalises with the global mean μ = Σx/N and biased variance σ² = Σx²/N − μ²; backward
all-reduces the two reduction terms of batch norm's input gradient, [Σdy, Σdy·(x − μ)], as
PyTorch's SyncBatchNorm does. γ and β get this rank's share (Σ_local dy·x̂, Σ_local dy); the
data-parallel wrapper averages them with every other gradient. (Ioffe & Szegedy 2015;
the global-batch form: Peng et al. 2018, "MegDet".)
"""
from ..autograd import Function, no_grad
from ..backend import np
from . import process_group as pg


def _channel_sums(*arrays):
    """Σ over every axis but 1 of each array, in float64: (len(arrays), C)."""
    axes = (0,) + tuple(range(2, arrays[0].ndim))
    return np.stack([a.sum(axis=axes, dtype=np.float64) for a in arrays])


def _per_channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))      # (C,) → (1, C, 1, ...)


# y = γ·(x − μ)·invstd + β;  dx = γ·invstd·(dy − Σdy/N − (x − μ)·invstd²·Σdy(x − μ)/N),
# the sums over the global batch (all-reduced); dγ = Σ_local dy·x̂, dβ = Σ_local dy
class SyncBatchNormFunction(Function):
    def forward(self, x, weight, bias, mean, invstd, count):
        shape = x.ndim
        mu, s = _per_channel(mean, shape), _per_channel(invstd, shape)
        xhat = ((x - mu) * s).astype(x.dtype)
        y = xhat if weight is None else xhat * _per_channel(weight, shape)
        if bias is not None:
            y = y + _per_channel(bias, shape)
        self.xhat, self.weight, self.invstd, self.count = xhat, weight, invstd, count
        return y.astype(x.dtype, copy=False)

    def backward(self, dy):
        xhat, w, invstd, n = self.xhat, self.weight, self.invstd, self.count
        local = _channel_sums(dy, dy * xhat)                # [Σdy, Σdy·x̂] on this rank
        sums = pg.allreduce_array(local.copy(), what="SyncBatchNorm backward all-reduce")
        ndim = dy.ndim
        scale = invstd if w is None else w.astype(np.float64) * invstd
        dx = None
        if self.needs_input_grad[0]:
            dx = _per_channel(scale, ndim) * (dy - _per_channel(sums[0] / n, ndim)
                                              - xhat * _per_channel(sums[1] / n, ndim))
            dx = dx.astype(dy.dtype)
        dw = local[1].astype(dy.dtype) if w is not None and self.needs_input_grad[1] else None
        db = local[0].astype(dy.dtype) if self.needs_input_grad[2] else None
        return dx, dw, db


def sync_batch_norm(x, running_mean, running_var, weight, bias, momentum, eps):
    """Training-mode batch norm over the global batch; updates the running statistics with
    r ← (1 − momentum)·r + momentum·stat (the variance unbiased, N/(N − 1))."""
    a = x._data
    local = np.concatenate([_channel_sums(a, a * a).reshape(-1),
                            [a.size / a.shape[1]]])           # [Σx (C), Σx² (C), n]
    sums = pg.allreduce_array(local, what="SyncBatchNorm forward all-reduce")
    C, n = a.shape[1], sums[-1]
    mean = sums[:C] / n
    var = np.maximum(sums[C:2 * C] / n - mean * mean, 0.0)    # biased, as batch norm uses
    if running_mean is not None:
        with no_grad():
            for buf, stat in ((running_mean, mean), (running_var, var * n / max(n - 1, 1))):
                buf._data[...] = ((1 - momentum) * buf._data + momentum * stat).astype(
                    buf._data.dtype)
    return SyncBatchNormFunction.apply(x, weight, bias, mean=mean,
                                       invstd=1 / np.sqrt(var + eps), count=n)
