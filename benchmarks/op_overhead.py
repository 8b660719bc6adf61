"""Per-op overhead: a chain of 1,000 small ops on (8, 8) float32 tensors, forward and backward.

The arrays are so small that the time is the framework's bookkeeping per op (creating the
node, dispatch, the reverse sweep), not arithmetic. The chain repeats
h ← h + a, h ← h·b, h ← tanh h, h ← Σ_j h (keepdim; the next add broadcasts it back),
250 times, then sums h and runs backward to x, a and b.
"""
from .harness import Budget, synthetic_batch
from .steps import import_torch

NAME = "overhead"
DESCRIPTION = "1,000-op chain on (8, 8) float32, forward + backward"
BUDGET = Budget(3, 20, 3.0, 500)
GFLOP_PER_STEP = None
N_OPS = 1000
SHAPE = (8, 8)


def _inputs():
    x = synthetic_batch((3,) + SHAPE)[0]
    return x[0], x[1], x[2]


def _chain(h, a, b, tanh):
    for _ in range(N_OPS // 4):
        h = tanh((h + a) * b).sum(1, keepdim=True)
    return h.sum()


def build_gradwork():
    import gradwork as gw
    x, a, b = (gw.tensor(v, requires_grad=True) for v in _inputs())

    def step():
        x.grad = a.grad = b.grad = None
        out = _chain(x, a, b, gw.tanh)
        out.backward()
        return out.item()
    return step


def build_torch():
    torch = import_torch()
    x, a, b = (torch.tensor(v, requires_grad=True) for v in _inputs())

    def step():
        x.grad = a.grad = b.grad = None
        out = _chain(x, a, b, torch.tanh)
        out.backward()
        return out.item()
    return step


def extra_fields(stats):
    return {"ops": N_OPS, "us_per_op": stats["median_s"] / N_OPS * 1e6}
