"""Instance normalisation: `InstanceNorm1d`, `InstanceNorm2d`."""
from ..autograd import no_grad
from ..ops import norm
from .norm import _NormBase


class _InstanceNorm(_NormBase):
    """y = γ (x − μ)/√(σ² + ε) + β, μ and σ² per sample and channel over the spatial dims
    (Ulyanov, Vedaldi & Lempitsky 2016, "Instance Normalization"). PyTorch's defaults:
    affine=False, track_running_stats=False. With track_running_stats=True, training
    updates running_mean/running_var with the batch-mean of the instance statistics
    (momentum as BatchNorm, unbiased variance; num_batches_tracked is kept but, as in
    PyTorch, not counted) and eval normalises with them.
    Input (N, C, *) or, unbatched, (C, *) with `_spatial_dims` trailing dims.
    """

    _spatial_dims = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    def forward(self, x):
        d, c = self._spatial_dims, self.num_features
        if x.ndim not in (d + 1, d + 2) or x.shape[-d - 1] != c:
            raise ValueError(f"{type(self).__name__}: expected input of shape (N, {c}, "
                             f"{d} spatial dims) or ({c}, ...), got {tuple(x.shape)}")
        if x.ndim == d + 1:
            return self.forward(x.unsqueeze(0)).squeeze(0)
        if self.track_running_stats and not self.training:
            return norm.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                   self.bias, False, 0.0, self.eps)
        if self.track_running_stats:
            self._update_running_stats(x._data)
        return norm.group_norm(x, c, self.weight, self.bias, self.eps)

    def _update_running_stats(self, x):
        n, c = x.shape[:2]
        x3 = x.reshape(n, c, -1)                        # (N, C, L)
        count = x3.shape[2]
        mean = x3.mean(axis=2).mean(axis=0)
        var = x3.var(axis=2, ddof=1 if count > 1 else 0).mean(axis=0)
        m = 0.0 if self.momentum is None else self.momentum     # as PyTorch's instance_norm
        with no_grad():
            for buf, stat in ((self.running_mean, mean), (self.running_var, var)):
                buf._data[...] = (1 - m) * buf._data + m * stat
                buf._bump_version()

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or (C, L) inputs."""
    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or (C, H, W) inputs."""
    _spatial_dims = 2
