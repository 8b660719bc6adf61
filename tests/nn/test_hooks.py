"""Module forward-pre, forward and full backward hooks (gradwork/nn/module.py,
gradwork/nn/backward_hooks.py) and Tensor.register_hook (gradwork/autograd/hooks.py), each run
side by side with PyTorch's; named_modules / apply / register_buffer(persistent=False)."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from tests.helpers import assert_close


def _pair():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    g = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    g.load_state_dict(t.state_dict())
    return g, t


X = np.random.default_rng(0).standard_normal((5, 3))


def test_tensor_hook_replaces_gradient_leaf_and_intermediate():
    results = []
    for _lib, make in ((gw, gw.tensor), (torch, torch.tensor)):
        x = make(X, requires_grad=True)
        seen = []
        x.register_hook(lambda g, seen=seen: seen.append(g.sum().item()))
        x.register_hook(lambda g: g * 2)          # replaces x's gradient
        h = (x * 3)
        h.register_hook(lambda g: g + 1)          # replaces the gradient flowing on from h
        y = (h * h).sum() + (x * x).sum()        # x used twice: its hook sees the total once
        h.retain_grad()
        y.backward()
        results.append((x.grad, h.grad, seen))
    (gx, gh, gseen), (tx, th, tseen) = results
    assert_close(gx, tx)
    assert_close(gh, th)
    assert len(gseen) == len(tseen) == 1
    assert gseen[0] == pytest.approx(tseen[0])


def test_tensor_hook_handle_removes_and_refuses_no_grad_tensors():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 10)
    h.remove()
    h.remove()
    (x * x).sum().backward()
    assert_close(x.grad, np.array([2.0, 4.0]))
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gw.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match=r"hook returned a gradient of shape \(3,\)"):
        y = gw.tensor([1.0, 2.0], requires_grad=True)
        y.register_hook(lambda g: gw.zeros(3))
        y.sum().backward()


def test_hook_on_backward_root_and_on_leaf_root():
    x = gw.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.register_hook(lambda g: g * 3)
    y.backward()
    assert_close(x.grad, np.array([6.0, 12.0]))
    z = gw.tensor([1.0, 2.0], requires_grad=True)
    z.register_hook(lambda g: g - 1)
    z.backward(gw.tensor([5.0, 5.0]))
    assert_close(z.grad, np.array([4.0, 4.0]))


def test_forward_pre_and_forward_hooks_like_pytorch():
    outs = []
    for m, make in ((_pair()[0], gw.tensor), (_pair()[1], torch.tensor)):
        calls = []
        h1 = m[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        m[2].register_forward_hook(lambda mod, args, out: out + 1)
        m[2].register_forward_hook(lambda mod, args, out, calls=calls: calls.append("second"))
        m[2].register_forward_hook(lambda mod, args, out, calls=calls: calls.append("first"),
                                   prepend=True)
        y1 = m(make(X))
        h1.remove()
        y2 = m(make(X))
        outs.append((y1, y2, calls))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])
    assert outs[0][2] == outs[1][2] == ["first", "second"] * 2


def test_full_backward_hook_like_pytorch():
    records = []
    for m, make in ((_pair()[0], gw.tensor), (_pair()[1], torch.tensor)):
        rec = []

        def hook(mod, grad_input, grad_output, rec=rec):
            rec.append((grad_input, grad_output))
            return tuple(None if g is None else g * 0.5 for g in grad_input)
        handle = m[2].register_full_backward_hook(hook)
        m[0].register_full_backward_hook(lambda mod, gi, go, rec=rec: rec.append((gi, go)))
        x = make(X, requires_grad=True)
        m(x).sum().backward()
        handle.remove()
        m(x).sum().backward()
        records.append((rec, x.grad, m[0].weight.grad))
    (grec, gxg, gw0), (trec, txg, tw0) = records
    assert len(grec) == len(trec) == 3
    for (ggi, ggo), (tgi, tgo) in zip(grec, trec):
        assert len(ggi) == len(tgi) and len(ggo) == len(tgo)
        for a, b in zip(ggi + ggo, tgi + tgo):
            assert (a is None) == (b is None)
            if a is not None:
                assert_close(a, b)
    assert_close(gxg, txg)
    assert_close(gw0, tw0)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_when_input_needs_no_grad():
    for m, make in ((_pair()[0], gw.tensor), (_pair()[1], torch.tensor)):
        rec = []
        m[0].register_full_backward_hook(lambda mod, gi, go, rec=rec: rec.append((gi, go)))
        m(make(X)).sum().backward()
        assert len(rec) == 1 and rec[0][0] == (None,) and rec[0][1][0].shape == (5, 4)


def test_named_modules_apply_and_non_persistent_buffers():
    g, t = _pair()
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    seen_g, seen_t = [], []
    g.apply(lambda m: seen_g.append(type(m).__name__))
    t.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_g == seen_t
    m = nn.Linear(2, 2)
    m.register_buffer("scratch", gw.zeros(3), persistent=False)
    m.register_buffer("kept", gw.ones(2))
    assert "scratch" not in m.state_dict() and "kept" in m.state_dict()
    assert "scratch" in dict(m.named_buffers())
