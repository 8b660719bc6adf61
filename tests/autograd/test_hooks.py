"""Post-accumulate-grad hooks and queue_callback (gradwork/autograd/hooks.py), the engine's
points DistributedDataParallel listens to."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.autograd.hooks import queue_callback


def _two_layer(lib, w1, w2, x):
    h = lib.tanh(x @ w1)
    return ((h @ w2) * (h @ w2)).sum() + (w1 * w1).sum()     # w1 used twice, w2 once


def test_post_accumulate_hooks_fire_once_with_the_total_in_torch_order():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in ((3, 4), (4, 2), (5, 3))]
    seen = {}
    for lib, make in ((gw, gw.tensor), (torch, torch.tensor)):
        w1, w2 = (make(a, requires_grad=True) for a in arrays[:2])
        x = make(arrays[2])
        log = []
        for name, w in (("w1", w1), ("w2", w2)):
            w.register_post_accumulate_grad_hook(
                lambda p, n=name, log=log: log.append((n, p.grad.detach().numpy().copy())))
        _two_layer(lib, w1, w2, x).backward()
        seen[lib.__name__] = log
    assert [n for n, _ in seen["gradwork"]] == [n for n, _ in seen["torch"]] == ["w2", "w1"]
    for (_, a), (_, b) in zip(seen["gradwork"], seen["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_leaf_is_hooked_as_soon_as_its_last_use_is_done():
    # w2's hook runs before the backward reaches the first layer: what lets DDP overlap.
    w1 = gw.randn(3, 4, requires_grad=True)
    w2 = gw.randn(4, 2, requires_grad=True)
    x = gw.randn(5, 3)
    events = []
    w2.register_post_accumulate_grad_hook(lambda p: events.append(("w2", w1.grad is None)))
    (gw.tanh(x @ w1) @ w2).sum().backward()
    assert events == [("w2", True)]


def test_queue_callback_runs_after_every_grad_is_written():
    w1 = gw.randn(3, 4, requires_grad=True)
    w2 = gw.randn(4, 2, requires_grad=True)
    done = []
    w2.register_post_accumulate_grad_hook(
        lambda p: queue_callback(lambda: done.append(w1.grad is not None)))
    (gw.tanh(gw.randn(5, 3) @ w1) @ w2).sum().backward()
    assert done == [True]
    (w2 * 2).sum().backward()                       # and on a second, separate backward
    assert done == [True, True]


def test_queue_callback_outside_backward_is_an_error():
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(lambda: None)


def test_post_accumulate_hook_on_a_non_leaf_is_an_error():
    y = gw.randn(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.register_post_accumulate_grad_hook(lambda p: None)
