"""nn/binary.py: the binary layers keep their real twins' arguments and state-dict keys, clip
their latent weights, and compute the functional forms."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn
from gradwork.nn import functional as F


@pytest.mark.parametrize("cls", [nn.BinaryConv2d, nn.XNORConv2d])
def test_conv_layers_load_a_conv2d_state_dict(cls):
    real = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    layer = cls(4, 6, 3, stride=2, padding=1, groups=2)
    assert list(layer.state_dict()) == list(real.state_dict()) == ["weight", "bias"]
    layer.load_state_dict(real.state_dict())
    np.testing.assert_array_equal(layer.weight.detach().numpy(), real.weight.detach().numpy())


@pytest.mark.parametrize("cls", [nn.BinaryLinear, nn.XNORLinear])
def test_linear_layers_load_a_linear_state_dict(cls):
    real, layer = nn.Linear(5, 3, bias=False), cls(5, 3, bias=False)
    assert list(layer.state_dict()) == list(real.state_dict()) == ["weight"]
    layer.load_state_dict(real.state_dict())


def test_forward_clips_latent_weights_and_helper_clips_explicitly():
    layer = nn.XNORConv2d(2, 3, 3)
    layer.weight.data[...] = np.linspace(-3, 3, layer.weight.numel()).reshape(3, 2, 3, 3)
    layer(gw.randn(1, 2, 5, 5))
    assert np.abs(layer.weight.detach().numpy()).max() == 1.0
    free = nn.BinaryLinear(4, 2, clip_weights=False)
    free.weight.data[...] = 5.0
    free(gw.randn(3, 4))
    assert free.weight.detach().numpy().max() == 5.0                 # no clip asked
    model = nn.Sequential(free, nn.ReLU(), nn.Linear(2, 2))
    assert nn.clip_latent_weights_(model) == 1
    assert free.weight.detach().numpy().max() == 1.0


def test_layers_call_their_functional_forms():
    x = gw.randn(2, 4, 6, 6)
    conv = nn.XNORConv2d(4, 6, 3, padding=1, groups=2, scale_input=True, alpha_grad="chain")
    ref = F.xnor_conv2d(x, conv.weight, conv.bias, 1, 1, 1, 2, True, "chain")
    np.testing.assert_array_equal(conv(x).detach().numpy(), ref.detach().numpy())
    bwn = nn.BinaryConv2d(4, 6, 3, padding_mode="reflect", padding=1)
    ref = F.binary_conv2d(F.pad(x, [1, 1, 1, 1], mode="reflect"), bwn.weight, bwn.bias)
    np.testing.assert_array_equal(bwn(x).detach().numpy(), ref.detach().numpy())
    lin = nn.XNORLinear(4, 3, scale_input=True)
    y = gw.randn(5, 4)
    np.testing.assert_array_equal(lin(y).detach().numpy(),
                                  F.xnor_linear(y, lin.weight, lin.bias, True).detach().numpy())


def test_bwn_layer_gradients_match_torch():
    """BWN: exact input gradient, STE·α weight gradient."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 5))
    layer = nn.BinaryConv2d(3, 4, 3, padding=1, dtype="float64")
    w = layer.weight.detach().numpy().copy()
    xg = gw.Tensor(x, requires_grad=True)
    layer(xg).sum().backward()
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    alpha = wt.abs().mean((1, 2, 3), keepdim=True).detach()
    c = wt.clamp(-1, 1)
    wb = alpha * (c + (torch.where(wt >= 0, 1.0, -1.0).double() - c).detach())
    bias = torch.tensor(layer.bias.detach().numpy())
    torch.nn.functional.conv2d(xt, wb, bias, 1, 1).sum().backward()
    np.testing.assert_allclose(xg.grad.detach().numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.detach().numpy(), wt.grad.numpy(), atol=1e-12)


def test_xnor_block_order_is_bn_binconv_pool():
    block = nn.XNORBlock(3, 8, 3, padding=1, pool=nn.MaxPool2d(2))
    assert [name for name, _ in block.named_children()] == ["bn", "conv", "pool"]
    assert isinstance(block.conv, nn.XNORConv2d) and block.conv.bias is None
    assert block(gw.randn(2, 3, 6, 6)).shape == (2, 8, 3, 3)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="alpha_grad"):
        nn.BinaryConv2d(2, 2, 3, alpha_grad="exact")
    with pytest.raises(ValueError, match="in_channels"):
        nn.XNORConv2d(0, 2, 3)
