"""TransformerEncoderLayer / TransformerEncoder (gradwork/nn/transformer.py) against PyTorch's
with weights copied across (dropout 0), both norm orders, relu and gelu."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from tests.helpers import assert_close


def _layer(mod, **kw):
    return mod.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **kw)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_matches_pytorch(norm_first, activation, batch_first):
    kw = {"norm_first": norm_first, "activation": activation, "batch_first": batch_first}
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoder(_layer(torch.nn, **kw), 2, norm=torch.nn.LayerNorm(8),
                                    enable_nested_tensor=False).double()
    g = nn.TransformerEncoder(_layer(nn, **kw), 2, norm=nn.LayerNorm(8)).double()
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict(t.state_dict())
    shape = (3, 5, 8)
    x = np.random.default_rng(0).standard_normal(shape)
    pad = np.zeros((3, 5) if batch_first else (5, 3), bool)       # (N, S) either way
    pad[0, 2:] = True
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy = g(gx, src_key_padding_mask=gw.tensor(pad))
    ty = t(tx, src_key_padding_mask=torch.tensor(pad))
    assert_close(gy, ty, atol=1e-8, what="output")
    v = np.random.default_rng(1).standard_normal(shape)
    (gy * gw.tensor(v)).sum().backward()
    (ty * torch.tensor(v)).sum().backward()
    assert_close(gx.grad, tx.grad, atol=1e-8, what="input grad")
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert_close(p.grad, tp[name].grad, atol=1e-8, what=name)


def test_layer_with_causal_mask_and_eval():
    torch.manual_seed(1)
    t = _layer(torch.nn, batch_first=True).double().eval()
    g = _layer(nn, batch_first=True).double().eval()
    g.load_state_dict(t.state_dict())
    x = np.random.default_rng(2).standard_normal((2, 4, 8))
    mask = np.triu(np.full((4, 4), -np.inf), 1)
    with torch.no_grad():
        ty = t(torch.tensor(x), src_mask=torch.tensor(mask))
    assert_close(g(gw.tensor(x), src_mask=gw.tensor(mask)), ty, atol=1e-8)


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
