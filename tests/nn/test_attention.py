"""Attention (nn/attention.py): gradchecks, PyTorch references, masking."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from gradwork.tools import gradcheck
from tests.helpers import to_torch

N, TQ, TK, DQ, DK, DV = 2, 3, 4, 3, 5, 2


def inputs(seed=0, dq=DQ, dk=DK, tq=TQ):
    rng = np.random.default_rng(seed)
    shapes = [(N, tq, dq) if tq else (N, dq), (N, TK, dk), (N, TK, DV)]
    return [gw.Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


MASK = np.array([[False, False, True, True], [False, False, False, False]])


def modules():
    return {"additive": nn.AdditiveAttention(DQ, DK, 6, bias=True).double(),
            "general": nn.GeneralAttention(DQ, DK).double(),
            "dot": nn.DotProductAttention(), "scaled": nn.DotProductAttention(scaled=True)}


@pytest.mark.parametrize("kind", ["additive", "general", "dot", "scaled"])
@pytest.mark.parametrize("tq", [TQ, None])
def test_gradcheck_with_mask(kind, tq):
    attn = modules()[kind]
    dk = DQ if kind in ("dot", "scaled") else DK
    q, k, v = inputs(dk=dk, tq=tq)
    params = list(attn.parameters())
    gradcheck(lambda q, k, v, *p: attn(q, k, v, key_padding_mask=MASK), [q, k, v, *params])


@pytest.mark.parametrize("scaled", [False, True])
def test_dot_matches_torch_sdpa(scaled):
    q, k, v = inputs(1, dk=DQ)
    context, weights = nn.DotProductAttention(scaled)(q, k, v, key_padding_mask=gw.tensor(MASK))
    tq, tk, tv = (to_torch(t) for t in (q, k, v))
    keep = torch.from_numpy(~MASK)[:, None, :]                       # SDPA: True = attend
    scale = None if scaled else 1.0
    ref = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=keep, scale=scale)
    scores = tq @ tk.transpose(1, 2) * (DQ ** -0.5 if scaled else 1.0)
    ref_w = scores.masked_fill(~keep, -torch.inf).softmax(-1)
    np.testing.assert_allclose(context.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(weights.detach().numpy(), ref_w.detach().numpy(), atol=1e-12)
    grads = np.random.default_rng(2).standard_normal(context.shape)
    (context * gw.Tensor(grads)).sum().backward()
    (ref * torch.from_numpy(grads)).sum().backward()
    for g, t in ((q, tq), (k, tk), (v, tv)):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_additive_matches_torch_code():
    attn = nn.AdditiveAttention(DQ, DK, 6).double()
    q, k, v = inputs(3)
    lengths = [2, 4]
    context, weights = attn(q, k, v, lengths=lengths)
    W, U, w = (to_torch(p.detach().numpy())
               for p in (attn.query_proj.weight, attn.key_proj.weight, attn.v.weight))
    tq, tk, tv = (to_torch(t) for t in (q, k, v))
    f = torch.tanh((tq @ W.T)[:, :, None, :] + (tk @ U.T)[:, None, :, :]) @ w[0]   # (N, TQ, TK)
    pad = torch.arange(TK)[None, :] >= torch.tensor(lengths)[:, None]
    alpha = f.masked_fill(pad[:, None, :], -torch.inf).softmax(-1)
    ref = alpha @ tv
    np.testing.assert_allclose(weights.detach().numpy(), alpha.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(context.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    context.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(k.grad.numpy(), tk.grad.numpy(), atol=1e-12)


def test_general_matches_torch_code():
    attn = nn.GeneralAttention(DQ, DK).double()
    q, k, v = inputs(4, tq=None)
    context, weights = attn(q, k, v)
    Wa = to_torch(attn.key_proj.weight.detach().numpy())                          # (DQ, DK)
    tq, tk, tv = (to_torch(t) for t in (q, k, v))
    alpha = torch.einsum("nd,de,nke->nk", tq, Wa, tk).softmax(-1).detach()
    np.testing.assert_allclose(weights.detach().numpy(), alpha.numpy(), atol=1e-12)
    np.testing.assert_allclose(context.detach().numpy(),
                               torch.einsum("nk,nkv->nv", alpha, tv).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["additive", "general", "dot"])
def test_masked_keys_get_exactly_zero_weight_and_gradient(kind):
    attn = modules()[kind]
    q, k, v = inputs(5, dk=DQ if kind == "dot" else DK)
    context, weights = attn(q, k, v, key_padding_mask=MASK)
    assert (weights.detach().numpy()[0, :, 2:] == 0).all()
    assert (weights.detach().numpy()[1] > 0).all()
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1.0)
    context.sum().backward()
    assert not k.grad.numpy()[0, 2:].any() and not v.grad.numpy()[0, 2:].any()
    same = attn(q, k, v, lengths=gw.tensor([2, 4]))[0]
    np.testing.assert_array_equal(same.detach().numpy(), context.detach().numpy())


def test_default_values_are_keys_and_shapes():
    q, k, _ = inputs(6, dk=DQ, tq=None)
    context, weights = nn.DotProductAttention()(q, k)
    assert context.shape == (N, DQ) and weights.shape == (N, TK)
    np.testing.assert_allclose(context.detach().numpy(),
                               np.einsum("nk,nkd->nd", weights.detach().numpy(),
                                         k.detach().numpy()))


def test_bad_input():
    attn = nn.AdditiveAttention(DQ, DK, 6)
    q, k, v = inputs(7)
    with pytest.raises(ValueError, match="every key of sequence 0 is padded"):
        attn(q, k, v, key_padding_mask=np.array([[True] * TK, [False] * TK]))
    with pytest.raises(ValueError,
                       match=r"key_padding_mask must be a bool array of shape \(2, 4\)"):
        attn(q, k, v, key_padding_mask=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="query must have last dimension 3, got 5"):
        attn(k, k, v)
    with pytest.raises(ValueError, match=r"values must have shape \(2, 4\) \+ \(D_v,\)"):
        attn(q, k, v[:, :3])
    with pytest.raises(ValueError, match="not both"):
        attn(q, k, v, key_padding_mask=MASK, lengths=[2, 4])
    with pytest.raises(ValueError, match="query width 3 must equal key width 5"):
        nn.DotProductAttention()(q, k)
    with pytest.raises(ValueError, match="hidden_dim must be a positive integer"):
        nn.AdditiveAttention(3, 4, 0)
