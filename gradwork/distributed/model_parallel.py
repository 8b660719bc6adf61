"""Model parallelism for the fully connected layers (Krizhevsky 2014, "One weird trick for
parallelizing convolutional neural networks"): convolutional layers data-parallel, the FC
layers' weights split across the K ranks.

Convolutions hold few parameters and most of the compute: each rank runs them on its own
B/K samples, their gradients averaged as DistributedDataParallel does. FC layers hold most
of the parameters and little compute: each rank keeps 1/K of them and works on the whole
batch. A pair of Linear layers, y = W₂ φ(W₁ h + b₁) + b₂, is split as in Megatron-LM
(Shoeybi et al. 2019):
  h   = all-gather of the ranks' features along the batch       (B/K, D) → (B, D)
  z_k = h W₁[k]ᵀ + b₁[k]     column split: rank k owns output rows k of W₁  (B, D₁/K)
  p_k = φ(z_k) W₂[:, k]ᵀ     row split: rank k owns input columns k of W₂   (B, D₂)
  y   = reduce-scatter Σ_k p_k along the batch, + b₂            (B, D₂) → (B/K, D₂)
and the layers after it run data-parallel on the rank's own rows. The adjoints: all-gather's
backward is a reduce-scatter and reduce-scatter's an all-gather. Communication per step:
the activations (B·D + B·D₂ floats each way) instead of the FC weights' gradients
(D·D₁ + D₁·D₂ floats): cheaper when the batch is small against the layers' widths.
"""
from ..autograd import Function
from ..errors import ArgumentError
from ..nn import Linear, Module, Sequential
from ..nn.functional import linear
from ..nn.parameter import Parameter
from . import process_group as pg
from .ddp import DistributedDataParallel


# y = [x_0; x_1; …; x_{K−1}] (all-gather on dim 0);  dx_k = rows k of Σ_j dy_j (reduce-scatter)
class AllGatherBatch(Function):
    needs_inputs = False

    def forward(self, x):
        return pg.allgather_array(x)

    def backward(self, dy):
        return pg.reduce_scatter_array(dy)


# y_k = rows k of Σ_j x_j (reduce-scatter on dim 0);  dx = [dy_0; …; dy_{K−1}] (all-gather)
class ReduceScatterBatch(Function):
    needs_inputs = False

    def forward(self, x):
        return pg.reduce_scatter_array(x)

    def backward(self, dy):
        return pg.allgather_array(dy)


class GatherBatch(Module):
    """(B/K, *) on each rank → the whole batch (B, *) on every rank."""

    def forward(self, x):
        return AllGatherBatch.apply(x)


def _shard(full, index):
    """This rank's block `index` of a full parameter (broadcast from rank 0 first, so that
    every rank cuts the same matrix) as a Parameter whose gradient is divided by K: the shard
    sees the whole batch, each rank's loss is its own samples' mean, and DDP's convention is
    the gradient of the mean of the ranks' losses."""
    pg.broadcast(full.data)
    shard = Parameter(full.detach().numpy()[index].copy())
    k = pg.get_world_size()
    shard.register_hook(lambda g: g / k)
    return shard


def _block(n, where):
    k, r = pg.get_world_size(), pg.get_rank()
    if n % k:
        raise ArgumentError(f"{where}: {n} features cannot be split over {k} ranks evenly")
    return slice(r * n // k, (r + 1) * n // k)


class ColumnParallelLinear(Module):
    """This rank's output features of a Linear, on the whole batch: (B, in) → (B, out/K)."""

    def __init__(self, full):
        super().__init__()
        rows = _block(full.out_features, "ColumnParallelLinear")
        self.in_features, self.out_features = full.in_features, rows.stop - rows.start
        self.weight = _shard(full.weight, (rows, slice(None)))
        if full.bias is not None:
            self.bias = _shard(full.bias, rows)
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return linear(x, self.weight, self.bias)


class RowParallelLinear(Module):
    """This rank's input features of a Linear, then the sum over ranks scattered back to
    each rank's own samples: (B, in/K) → (B/K, out). The bias is replicated (averaged by
    DDP like any data-parallel parameter)."""

    def __init__(self, full):
        super().__init__()
        cols = _block(full.in_features, "RowParallelLinear")
        self.in_features, self.out_features = cols.stop - cols.start, full.out_features
        self.weight = _shard(full.weight, (slice(None), cols))
        self.bias = full.bias

    def forward(self, x):
        y = ReduceScatterBatch.apply(linear(x, self.weight))
        return y if self.bias is None else y + self.bias


def split_classifier(classifier):
    """A Sequential with its first two Linear layers split (gather → column → … → row);
    the layers between (ReLU, Dropout) run on the column shard, those after data-parallel."""
    layers, out, split = list(classifier), [], 0
    for layer in layers:
        if isinstance(layer, Linear) and split == 0:
            out += [GatherBatch(), ColumnParallelLinear(layer)]
            split = 1
        elif isinstance(layer, Linear) and split == 1:
            out.append(RowParallelLinear(layer))
            split = 2
        else:
            out.append(layer)
    if split < 2:
        raise ArgumentError(f"split_classifier: needs two Linear layers, got {classifier}")
    return Sequential(*out)


def one_weird_trick(model, attribute="classifier"):
    """Krizhevsky's hybrid: `model.<attribute>` (AlexNet's, VGG's classifier) split across the
    ranks, everything else data-parallel; returns the DistributedDataParallel-wrapped model.
    Each rank feeds its B/K samples and gets their outputs."""
    if not pg.is_initialized():
        pg.init_process_group("mpi")
    setattr(model, attribute, split_classifier(getattr(model, attribute)))
    shards = []                 # each rank's own blocks: neither broadcast nor averaged
    for name, m in model.named_modules():
        if isinstance(m, ColumnParallelLinear):
            shards += [f"{name}.{p}" for p in ("weight", "bias") if getattr(m, p) is not None]
        elif isinstance(m, RowParallelLinear):
            shards.append(f"{name}.weight")
    DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, shards)
    return DistributedDataParallel(model)
