"""MultiheadAttention (gradwork/nn/multihead_attention.py) against torch.nn.MultiheadAttention
with weights copied across: forward, weights and gradients, every mask form."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from tests.helpers import assert_close

E, H, N, L, S = 8, 2, 3, 4, 5


def _pair(**kwargs):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, H, **kwargs).double()
    g = nn.MultiheadAttention(E, H, **kwargs).double()
    g.load_state_dict(t.state_dict())
    return g, t


def _inputs(batch_first, kdim=E, vdim=E, unbatched=False):
    rng = np.random.default_rng(0)
    shapes = [(L, E), (S, kdim), (S, vdim)] if unbatched else \
        [(N, L, E), (N, S, kdim), (N, S, vdim)] if batch_first else \
        [(L, N, E), (S, N, kdim), (S, N, vdim)]
    return [rng.standard_normal(s) for s in shapes]


def _run(g, t, arrays, **kw):
    gx = [gw.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    tkw = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    gkw = {k: (gw.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    go, gwt = g(*gx, **gkw)
    to, twt = t(*tx, **tkw)
    assert_close(go, to, atol=1e-8, what="output")
    if twt is None:
        assert gwt is None
    else:
        assert_close(gwt, twt, atol=1e-8, what="weights")
    v = np.random.default_rng(5).standard_normal(to.shape)
    loss_g = (go * gw.tensor(v)).sum()
    loss_t = (to * torch.tensor(v)).sum()
    if twt is not None:
        loss_g = loss_g + gwt.sum() * 0.5
        loss_t = loss_t + twt.sum() * 0.5
    loss_g.backward()
    loss_t.backward()
    for a, b in zip(gx, tx):
        assert_close(a.grad, b.grad, atol=1e-8, what="input grad")
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-8, what=name)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_plain(batch_first, average):
    g, t = _pair(batch_first=batch_first)
    _run(g, t, _inputs(batch_first), average_attn_weights=average)


def test_state_dict_keys_are_pytorchs():
    g, t = _pair()
    assert list(g.state_dict()) == list(t.state_dict())
    g2, t2 = _pair(kdim=3, vdim=6, bias=False)
    assert sorted(g2.state_dict()) == sorted(t2.state_dict())


@pytest.mark.parametrize("batch_first", [False, True])
def test_key_padding_mask_bool_and_float(batch_first):
    g, t = _pair(batch_first=batch_first)
    pad = np.zeros((N, S), bool)
    pad[0, -2:] = True
    pad[2, 0] = True
    _run(g, t, _inputs(batch_first), key_padding_mask=pad)
    _run(g, t, _inputs(batch_first), key_padding_mask=np.where(pad, -3.0, 0.5))


@pytest.mark.parametrize("shape", [(L, S), (N * H, L, S)])
def test_attn_mask_bool_and_float(shape):
    g, t = _pair(batch_first=True)
    rng = np.random.default_rng(1)
    mask = rng.random(shape) < 0.3
    mask[..., 0] = False                        # every query keeps one key
    _run(g, t, _inputs(True), attn_mask=mask)
    _run(g, t, _inputs(True), attn_mask=rng.standard_normal(shape))
    pad = np.zeros((N, S), bool)
    pad[1, 3:] = True
    _run(g, t, _inputs(True), attn_mask=mask, key_padding_mask=pad)


def test_need_weights_false_kdim_vdim_unbatched_and_causal():
    g, t = _pair()
    _run(g, t, _inputs(False), need_weights=False)
    g, t = _pair(kdim=3, vdim=6, batch_first=True)
    _run(g, t, _inputs(True, 3, 6))
    g, t = _pair()
    _run(g, t, _inputs(False, unbatched=True))
    g, t = _pair(batch_first=True)
    arrays = _inputs(True)
    arrays[1], arrays[2] = arrays[0], arrays[0]
    causal = np.triu(np.ones((L, L), bool), 1)
    _run(g, t, arrays, attn_mask=causal, is_causal=True)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    g = nn.MultiheadAttention(E, H, batch_first=True)
    x = gw.zeros(N, L, E)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(3, 4\)"):
        g(x, x, x, key_padding_mask=gw.zeros(N, 7).bool())
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(4, 4\)"):
        g(x, x, x, attn_mask=gw.zeros(3, 3).bool())
