"""fuse_conv_bn_eval: conv → BN (eval) as one convolution, equal to the pair and to PyTorch's
torch.nn.utils.fusion.fuse_conv_bn_eval on the same weights."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn
from gradwork.nn.utils import fuse_conv_bn_eval


def _trained_pair(conv, bn, rng):
    with gw.no_grad():
        bn.running_mean._data[...] = rng.standard_normal(bn.num_features)
        bn.running_var._data[...] = rng.uniform(0.5, 2.0, bn.num_features)
        if bn.weight is not None:
            bn.weight._data[...] = rng.standard_normal(bn.num_features)
            bn.bias._data[...] = rng.standard_normal(bn.num_features)
    return conv.eval(), bn.eval()


@pytest.mark.parametrize("bias,affine", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("make", [
    lambda b: (nn.Conv2d(3, 5, 3, padding=1, bias=b, dtype="float64"),
               nn.BatchNorm2d(5, dtype="float64")),
    lambda b: (nn.Conv2d(4, 6, 3, stride=2, groups=2, bias=b, dtype="float64"),
               nn.BatchNorm2d(6, dtype="float64")),
    lambda b: (nn.Conv1d(3, 4, 5, bias=b, dtype="float64"), nn.BatchNorm1d(4, dtype="float64")),
], ids=["conv2d", "grouped-strided", "conv1d"])
def test_fused_conv_equals_conv_then_bn_and_pytorch(make, bias, affine):
    rng = np.random.default_rng(0)
    conv, bn = make(bias)
    if not affine:
        bn = type(bn)(bn.num_features, affine=False, dtype="float64")
    conv, bn = _trained_pair(conv, bn, rng)
    x = gw.tensor(rng.standard_normal((2, conv.in_channels) + (9,) * (conv.weight.ndim - 2)))
    fused = fuse_conv_bn_eval(conv, bn)
    with gw.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), bn(conv(x)).numpy(), rtol=1e-12, atol=1e-12)
    tconv = (torch.nn.Conv2d if conv.weight.ndim == 4 else torch.nn.Conv1d)(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
        conv.dilation, conv.groups, bias, dtype=torch.float64).eval()
    tbn = (torch.nn.BatchNorm2d if conv.weight.ndim == 4 else torch.nn.BatchNorm1d)(
        bn.num_features, affine=affine, dtype=torch.float64).eval()
    tconv.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                           for k, v in conv.state_dict().items()})
    tbn.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                         for k, v in bn.state_dict().items()})
    ref = torch.nn.utils.fusion.fuse_conv_bn_eval(tconv, tbn)
    np.testing.assert_allclose(fused.weight.detach().numpy(), ref.weight.detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(fused.bias.detach().numpy(), ref.bias.detach().numpy(),
                               rtol=1e-12, atol=1e-15)


def test_fusion_needs_eval_mode_and_running_statistics():
    conv, bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)
    with pytest.raises(ValueError, match="eval mode"):
        fuse_conv_bn_eval(conv, bn)
    no_stats = nn.BatchNorm2d(4, track_running_stats=False).eval()
    with pytest.raises(ValueError, match="running statistics"):
        fuse_conv_bn_eval(conv.eval(), no_stats)
