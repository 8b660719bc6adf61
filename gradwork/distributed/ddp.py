"""`DistributedDataParallel`: synchronous data-parallel SGD over the default process group.

Each rank runs the same model on its share of the global batch; by the time `backward()`
returns, every parameter's `.grad` holds the mean over ranks, g = (1/K) Σ_k g_k, so an
optimiser built on `model.parameters()` steps identical replicas. As PyTorch's DDP
(Li et al., 2020, "PyTorch Distributed"): rank 0's parameters and buffers are broadcast at
construction; gradients are copied into flat buckets (~`bucket_cap_mb`, the first 1 MiB,
parameters in reverse registration order, i.e. roughly the order backward produces them);
a bucket whose gradients are all accumulated is all-reduced at once (one non-blocking
MPI_Iallreduce per bucket, launched in bucket order on every rank) while backward goes on,
and a callback queued on the autograd engine waits for all of them when backward ends.
"""
import contextlib
import time

from ..autograd import Tensor
from ..autograd.hooks import queue_callback
from ..backend import np
from ..errors import ArgumentError, check_positive
from ..nn.module import Module
from . import process_group as pg

FIRST_BUCKET_BYTES = 1024 * 1024      # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    """A flat buffer holding the gradients of a few parameters of one dtype."""

    def __init__(self, params, dtype):
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.buffer = np.zeros(int(self.offsets[-1]), dtype)
        self.ready = set()
        self.request = None

    def slot(self, j):
        return self.buffer[self.offsets[j]:self.offsets[j + 1]]


def _assign_buckets(params, cap_bytes):
    """Reverse order, split by dtype; a bucket closes once it reaches its cap (the first
    bucket's cap is 1 MiB, as PyTorch's, so that communication starts early)."""
    buckets, open_ = [], {}
    for p in reversed(params):
        dt = p._data.dtype
        group = open_.setdefault(dt, [])
        group.append(p)
        limit = min(FIRST_BUCKET_BYTES, cap_bytes) if not buckets else cap_bytes
        if sum(q._data.nbytes for q in group) >= limit:
            buckets.append(_Bucket(group, dt))
            open_[dt] = []
    buckets += [_Bucket(group, dt) for dt, group in open_.items() if group]
    return buckets


def _coalesced_broadcast(tensors, what):
    """Rank 0's values into `tensors`, one broadcast per dtype."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault(t._data.dtype, []).append(t)
    for dt, group in by_dtype.items():
        flat = np.concatenate([t._data.reshape(-1) for t in group]).astype(dt, copy=False)
        pg.wait([pg._comm().Ibcast(flat, root=0)], what)
        start = 0
        for t in group:
            n = t._data.size
            t._data[...] = flat[start:start + n].reshape(t._data.shape)
            start += n


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training over the default process group (started
    here with `init_process_group("mpi")` if it is not yet). `broadcast_buffers`: rank 0's
    buffers (e.g. BatchNorm's running statistics) are broadcast before every forward, as
    PyTorch's default. Every rank must give every parameter a gradient in each backward
    (gradwork has no find_unused_parameters; one without reduces zeros for it).

        model = DistributedDataParallel(net)
        loss_fn(model(x_local), y_local).backward()    # .grad: the mean over ranks
        optimizer.step()
    """

    def __init__(self, module, broadcast_buffers=True, bucket_cap_mb=25):
        super().__init__()
        if not isinstance(module, Module):
            raise ArgumentError(f"DistributedDataParallel: module must be a gradwork Module, "
                                f"got {type(module).__name__}")
        check_positive("DistributedDataParallel", "bucket_cap_mb", bucket_cap_mb)
        if not pg.is_initialized():
            pg.init_process_group("mpi")
        self.module = module
        self.broadcast_buffers, self.require_backward_grad_sync = broadcast_buffers, True
        self.comm_wait_s = 0.0          # seconds the last backward waited for the all-reduce
        ignored = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        named = [(n, p) for n, p in module.named_parameters() if n not in ignored]
        params = [p for _, p in named if p.requires_grad]
        self._check_same_model(params)
        _coalesced_broadcast([p for _, p in named] + [b for n, b in module.named_buffers()
                                                      if n not in ignored and b is not None],
                             "DistributedDataParallel: broadcast of rank 0's parameters")
        self._buckets = _assign_buckets(params, int(bucket_cap_mb * 1024 * 1024))
        self._slot_of = {}
        for b, bucket in enumerate(self._buckets):
            for j, p in enumerate(bucket.params):
                self._slot_of[id(p)] = (b, j)
        self._handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]
        self._next = 0
        self._queued = False

    @staticmethod
    def _set_params_and_buffers_to_ignore_for_model(module, params_and_buffers_to_ignore):
        """Leave these (qualified names) alone: neither broadcast nor averaged, e.g. a rank's
        own shard of a model-parallel layer (PyTorch's mechanism, same name)."""
        module._ddp_params_and_buffers_to_ignore = list(params_and_buffers_to_ignore)

    def _check_same_model(self, params):
        """Every rank must hold the same parameter shapes (else the buckets disagree)."""
        mine = [tuple(p._data.shape) for p in params]
        ref = pg.broadcast_object(mine, src=0)
        same = np.array([int(mine == ref)], np.int64)
        pg.allreduce_array(same, pg.ReduceOp.MIN, "DistributedDataParallel: shape check")
        if not same[0]:
            raise ArgumentError("DistributedDataParallel: the ranks' models differ (parameter "
                                f"shapes on rank {pg.get_rank()}: {mine}; on rank 0: {ref})")

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training:
            self.sync_buffers()
        return self.module(*args, **kwargs)

    def sync_buffers(self):
        """Rank 0's buffers (e.g. BatchNorm's running statistics) on every rank."""
        ignored = set(getattr(self.module, "_ddp_params_and_buffers_to_ignore", ()))
        buffers = [b for n, b in self.module.named_buffers() if b is not None and n not in ignored]
        if buffers and pg.get_world_size() > 1:
            _coalesced_broadcast(buffers, "DistributedDataParallel: buffer broadcast")

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate local gradients without communication; the first
        backward outside reduces the accumulated `.grad` (gradient accumulation)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ------------------------------------------------------------ the reducer
    def _on_grad(self, p):
        """Post-accumulate hook: copy p.grad into its bucket; launch the buckets now full."""
        if not self.require_backward_grad_sync:
            return
        if not self._queued:
            self._queued = True
            queue_callback(self._finish)
        b, j = self._slot_of[id(p)]
        bucket = self._buckets[b]
        bucket.slot(j)[...] = p.grad._data.reshape(-1)
        bucket.ready.add(j)
        self._launch_ready()
        pg.progress([k.request for k in self._buckets[:self._next] if k.request is not None])

    def _launch_ready(self):
        """Start the all-reduce of full buckets, strictly in bucket order (the same sequence
        of collectives on every rank)."""
        while self._next < len(self._buckets):
            bucket = self._buckets[self._next]
            if len(bucket.ready) < len(bucket.params):
                return
            bucket.request = pg.iallreduce_array(bucket.buffer)
            self._next = self._next + 1

    def _finish(self):
        """End of backward: reduce what is left, wait for every bucket, write the means."""
        for bucket in self._buckets[self._next:]:
            for j in range(len(bucket.params)):
                if j not in bucket.ready:           # no gradient on this rank: contribute 0
                    bucket.slot(j)[...] = 0
                    bucket.ready.add(j)
        self._launch_ready()
        start = time.perf_counter()
        pg.wait([b.request for b in self._buckets], "DistributedDataParallel: gradient "
                "all-reduce")
        self.comm_wait_s = time.perf_counter() - start
        k = pg.get_world_size()
        for bucket in self._buckets:
            bucket.buffer /= k
            for j, p in enumerate(bucket.params):
                mean = bucket.slot(j).reshape(p._data.shape)
                if p.grad is None:
                    p.grad = Tensor(mean.copy())
                else:
                    p.grad._data[...] = mean
            bucket.ready.clear()
            bucket.request = None
        self._next = 0
        self._queued = False
