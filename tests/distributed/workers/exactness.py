"""Under `mpiexec -n K`: train small models data-parallel on K ranks and save what rank 0
sees (`python exactness.py OUT.npz`); imported by the tests, the same functions give the
single-process reference on the combined batch (K = None: no MPI, no wrapper)."""
import sys

import numpy as np

import gradwork as gw
from gradwork import nn, optim
from gradwork.data import DistributedSampler

GLOBAL_BATCH, STEPS = 8, 3


def batches():
    """The global batches, the same on every rank: x (8, 2, 5, 5), labels (8,)."""
    rng = np.random.default_rng(1234)
    return [(rng.standard_normal((GLOBAL_BATCH, 2, 5, 5)).astype(np.float32),
             rng.integers(0, 3, GLOBAL_BATCH)) for _ in range(STEPS)]


def rank_share(x, y, rank, k):
    """This rank's contiguous share of a global batch (the whole batch when k is None)."""
    if k is None:
        return x, y
    share = GLOBAL_BATCH // k
    return x[rank * share:(rank + 1) * share], y[rank * share:(rank + 1) * share]


def make_model(batch_norm):
    gw.manual_seed(7)
    layers = [nn.Conv2d(2, 4, 3, padding=1)] + ([nn.BatchNorm2d(4)] if batch_norm else []) + \
        [nn.ReLU(), nn.Flatten(), nn.Linear(100, 6)] + ([nn.BatchNorm1d(6)] if batch_norm else []) \
        + [nn.Tanh(), nn.Linear(6, 3)]
    return nn.Sequential(*layers)


def train(batch_norm, rank=0, k=None):
    """Parameters/buffers after STEPS steps of SGD with momentum; the first step's output and
    gradients. k=None: one process on the whole batch; else rank `rank` of k under DDP."""
    from gradwork import distributed as dist
    net = make_model(batch_norm)
    if k is not None and batch_norm:
        net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    model = net if k is None else dist.DistributedDataParallel(net, bucket_cap_mb=0.001)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    out = {}
    launched = []       # buckets already all-reducing when backward reaches the first layer
    if k is not None:
        net[0].register_full_backward_hook(lambda m, gi, go: launched.append(model._next))
    for step, (x, y) in enumerate(batches()):
        x, y = rank_share(x, y, rank, k)
        logits = model(gw.tensor(x))
        nn.functional.cross_entropy(logits, gw.tensor(y)).backward()
        if step == 0:
            out["logits0"] = _gathered(logits.detach(), k)
            out.update({f"grad0.{n}": p.grad.numpy().copy() for n, p in net.named_parameters()})
        opt.step()
        opt.zero_grad()
    if k is not None:   # the overlap: the later layers' bucket was launched mid-backward
        assert len(model._buckets) >= 2 and launched == [len(model._buckets) - 1] * STEPS, \
            (launched, len(model._buckets))
    out.update({f"param.{n}": p.detach().numpy().copy() for n, p in net.named_parameters()})
    out.update({f"buffer.{n}": b.numpy().copy() for n, b in net.named_buffers()})
    return out


class TinyAlexNet(nn.Module):
    """AlexNet's shape in miniature: conv features, then three FC layers (the classifier)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                                        nn.Linear(8, 3))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


# reference name → (hybrid name, how the ranks' blocks assemble the whole: axis or None)
HYBRID_NAMES = {"classifier.0.weight": ("classifier.1.weight", 0),
                "classifier.0.bias": ("classifier.1.bias", 0),
                "classifier.2.weight": ("classifier.3.weight", 1),
                "classifier.2.bias": ("classifier.3.bias", None),
                "classifier.4.weight": ("classifier.5.weight", None),
                "classifier.4.bias": ("classifier.5.bias", None)}


def train_model_parallel(rank=0, k=None):
    """TinyAlexNet: conv data-parallel, classifier split (one_weird_trick) on k ranks, or
    whole (k=None); the first step's outputs and gradients, the parameters after STEPS."""
    from gradwork import distributed as dist
    gw.manual_seed(11)
    net = TinyAlexNet()
    model = net if k is None else dist.one_weird_trick(net)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    out = {}
    for step, (x, y) in enumerate(batches()):
        x, y = rank_share(x, y, rank, k)
        logits = model(gw.tensor(x))
        nn.functional.cross_entropy(logits, gw.tensor(y)).backward()
        if step == 0:
            out["logits0"] = _gathered(logits.detach(), k)
            out.update({f"grad0.{n}": v for n, v in _whole(net, k, grad=True).items()})
        opt.step()
        opt.zero_grad()
    out.update({f"param.{n}": v for n, v in _whole(net, k, grad=False).items()})
    return out


def _whole(net, k, grad):
    """The single-process model's parameters (or gradients), assembled from the ranks."""
    from gradwork import distributed as dist
    params = dict(net.named_parameters())
    result = {}
    for name in dict(TinyAlexNet().named_parameters()):
        mine, axis = HYBRID_NAMES.get(name, (name, None)) if k is not None else (name, None)
        p = params[mine]
        a = (p.grad if grad else p.detach()).numpy().copy()
        if axis is not None:
            blocks = dist.process_group.allgather_array(a[None])
            a = np.concatenate(list(blocks), axis=axis)
        result[name] = a
    return result


def _gathered(t, k):
    if k is None:
        return t.numpy().copy()
    from gradwork import distributed as dist
    full = gw.zeros((t.shape[0] * k,) + tuple(t.shape[1:]))
    dist.all_gather_into_tensor(full, t.contiguous())
    return full.numpy().copy()


def check_collectives(rank, k):
    """all_reduce (SUM, AVG, MAX), broadcast, reduce_scatter_tensor, barrier, all-gather and
    reduce-scatter as adjoints, and DistributedSampler's defaults from the group."""
    from gradwork import distributed as dist
    t = gw.tensor(np.arange(4, dtype=np.float32) + rank)
    dist.all_reduce(t)
    assert np.array_equal(t.numpy(), k * np.arange(4) + k * (k - 1) / 2), t
    t = gw.tensor([float(rank)])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert t.item() == (k - 1) / 2
    t = gw.tensor([float(rank)])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    assert t.item() == k - 1
    t = gw.tensor([float(rank)] * 3)
    dist.broadcast(t, src=k - 1)
    assert np.all(t.numpy() == k - 1)
    src = gw.tensor(np.arange(2 * k, dtype=np.float32))
    part = gw.zeros(2)
    dist.reduce_scatter_tensor(part, src)
    assert np.array_equal(part.numpy(), k * np.arange(2 * rank, 2 * rank + 2)), part
    dist.barrier()
    # the adjoint pair of model_parallel.py: Σ_ranks ⟨gather(x), y⟩ = Σ_ranks ⟨x, scatter(y)⟩
    rng = np.random.default_rng(100 + rank)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2 * k, 3))
    pairs = np.array([(dist.process_group.allgather_array(x) * y).sum(),
                      (x * dist.process_group.reduce_scatter_array(y)).sum()])
    dist.process_group.allreduce_array(pairs)
    assert abs(pairs[0] - pairs[1]) < 1e-12 * abs(pairs).max(), pairs
    sampler = DistributedSampler(list(range(10)), shuffle=False)     # defaults: the group's
    assert (sampler.num_replicas, sampler.rank) == (k, rank)
    assert list(sampler) == (list(range(10)) * 2)[:10 + (-10) % k][rank::k]    # padded


def check_no_sync(rank, k):
    """Gradient accumulation: backward A inside no_sync (local .grad, not averaged), then B
    outside: .grad = mean over ranks of (g_A + g_B), as one synchronised backward of A + B."""
    from gradwork import distributed as dist
    (x, y), _ = batches()[:2]
    x, y = (gw.tensor(a) for a in rank_share(x, y, rank, k))
    loss = nn.functional.cross_entropy
    accumulated, whole = (dist.DistributedDataParallel(make_model(False)) for _ in range(2))
    with accumulated.no_sync():
        loss(accumulated(x[:1]), y[:1]).backward()
    local = accumulated.module[0].weight.grad.numpy().copy()
    spread = gw.tensor(local.copy())
    dist.all_reduce(spread, op=dist.ReduceOp.MAX)
    assert k == 1 or not np.array_equal(spread.numpy(), local)      # not averaged inside
    loss(accumulated(x[1:]), y[1:]).backward()
    (loss(whole(x[:1]), y[:1]) + loss(whole(x[1:]), y[1:])).backward()
    for a, b in zip(accumulated.parameters(), whole.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)


def main(path):
    from gradwork import distributed as dist
    dist.init_process_group("mpi", timeout=60)
    with dist.process_group.abort_all_on_error():        # a failed check stops every rank
        _checks(path)


def _checks(path):
    from gradwork import distributed as dist
    rank, k = dist.get_rank(), dist.get_world_size()
    check_collectives(rank, k)
    check_no_sync(rank, k)
    result = {f"plain.{n}": v for n, v in train(False, rank, k).items()}
    result.update({f"bn.{n}": v for n, v in train(True, rank, k).items()})
    if k > 1:
        result.update({f"mp.{n}": v for n, v in train_model_parallel(rank, k).items()})
    if rank == 0:
        np.savez(path, **result)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
