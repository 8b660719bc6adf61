"""`SyncBatchNorm`: batch norm whose training statistics span every data-parallel rank."""
from .norm import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, *) input whose batch statistics (and their gradients) are
    all-reduced over the default process group, so K ranks with N/K samples each normalise
    exactly as one BatchNorm on the N samples (PyTorch's SyncBatchNorm; Peng et al. 2018).
    Outside training, or without a process group of more than one rank, it is BatchNorm.
    Per-rank BatchNorm stays the default; convert a model with `convert_sync_batchnorm`.
    The collectives live in gradwork.distributed (imported when first needed, so nn never
    needs MPI)."""

    _expected_dims = (2, 3, 4, 5)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)
        if process_group is not None:
            raise ValueError("SyncBatchNorm: process_group must be None (gradwork has one "
                             f"default group), got {process_group!r}")

    def forward(self, x):
        from ..distributed import process_group as pg  # lazy: the layer above nn
        if not (self.training and pg.is_initialized() and pg.get_world_size() > 1):
            return super().forward(x)
        from ..distributed.sync_batchnorm import sync_batch_norm
        self._check_input_dim(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        return sync_batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               factor, self.eps)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm*d in `module` by a SyncBatchNorm with the same parameters
        (the same Parameter objects), buffers and mode; returns the converted module."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(out, name, getattr(module, name))
            out.training = module.training
        for name, child in module.named_children():
            out.register_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
