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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias,affine", [(True, True), (False, True), (True, False),
                                         (False, False)])
def test_fused_weights_equal_pytorchs_bit_for_bit(dtype, bias, affine):
    """Same order of operations as torch.nn.utils.fusion.fuse_conv_bn_weights (1/√(σ²+ε)
    first, then γ): equal, not only close (before, γ/√(σ²+ε) differed in the last bit)."""
    from gradwork.nn.utils import fuse_conv_bn_weights
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((16, 3, 3, 3)).astype(dtype),
              rng.standard_normal(16).astype(dtype) if bias else None,
              rng.standard_normal(16).astype(dtype), rng.uniform(0.1, 3.0, 16).astype(dtype),
              rng.standard_normal(16).astype(dtype) if affine else None,
              rng.standard_normal(16).astype(dtype) if affine else None]
    w, b = fuse_conv_bn_weights(*arrays[:4], 1e-5, *arrays[4:])
    tw, tb = torch.nn.utils.fusion.fuse_conv_bn_weights(
        *[None if a is None else torch.from_numpy(a) for a in arrays[:4]], 1e-5,
        *[None if a is None else torch.from_numpy(a) for a in arrays[4:]])
    np.testing.assert_array_equal(w, tw.detach().numpy())
    np.testing.assert_array_equal(b, tb.detach().numpy())
    assert w.dtype == b.dtype == dtype


def _cifar_groups(model):
    """[conv, bn] of the stem and every block (ResNet's relu runs twice: never fused)."""
    groups = [["conv1", "bn1"]]
    for name, m in model.named_modules():
        if hasattr(m, "conv2") and hasattr(m, "bn2"):
            groups += [[f"{name}.conv1", f"{name}.bn1"], [f"{name}.conv2", f"{name}.bn2"]]
            if isinstance(m.downsample, nn.Sequential):
                groups.append([f"{name}.downsample.0", f"{name}.downsample.1"])
    return groups


def test_fuse_modules_resnet20_equals_the_unfused_model():
    from gradwork.models.cifar_resnet import CifarResNet
    gw.manual_seed(0)
    model = CifarResNet(20, shortcut="B")
    rng = np.random.default_rng(2)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            _trained_pair(nn.Identity(), m, rng)
    model.eval()
    groups = _cifar_groups(model)
    fused = gw.nn.utils.fuse_modules(model, groups)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())      # a copy
    x = gw.tensor(rng.standard_normal((4, 3, 32, 32), dtype=np.float32))
    with gw.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-4)


def test_fuse_modules_conv_bn_relu_in_a_sequential_and_its_errors():
    rng = np.random.default_rng(3)
    seq = nn.Sequential(nn.Conv2d(3, 4, 3, dtype="float64"), nn.BatchNorm2d(4, dtype="float64"),
                        nn.ReLU(), nn.Conv2d(4, 2, 1, dtype="float64"))
    _trained_pair(seq[0], seq[1], rng)
    seq.eval()
    fused = gw.nn.utils.fuse_modules(seq, ["0", "1", "2"])
    assert isinstance(fused[1], nn.Identity) and isinstance(fused[2], nn.Identity)
    x = gw.tensor(rng.standard_normal((2, 3, 8, 8)))
    with gw.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), seq(x).numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"fuse_modules: each group must name \[conv, bn\]"):
        gw.nn.utils.fuse_modules(seq, [["0", "2"]])
    with pytest.raises(ValueError, match="eval mode"):
        gw.nn.utils.fuse_modules(seq.train(), [["0", "1"]])
