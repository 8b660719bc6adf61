"""GELU, SiLU, Mish, Hardswish, SELU, PReLU, ELU, LeakyReLU modules; InstanceNorm1d/2d
(gradwork/nn/instancenorm.py); Upsample, PixelShuffle, PixelUnshuffle (gradwork/nn/upsample.py);
LayerNorm/GroupNorm and Embedding(padding_idx) verified — each against PyTorch with weights
copied across, forward and backward."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from tests.helpers import assert_close, check_op


def _compare(gmod, tmod, x, atol=1e-6):
    """Copy tmod's state into gmod, run both forward and backward on x (float64)."""
    gmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    gx = gw.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = gmod(gx), tmod(tx)
    assert_close(gy, ty, atol=atol, what="forward")
    v = np.random.default_rng(1).standard_normal(ty.shape)
    (gy * gw.tensor(v)).sum().backward()
    (ty * torch.tensor(v)).sum().backward()
    assert_close(gx.grad, tx.grad, atol=atol, what="input grad")
    for name, p in tmod.named_parameters():
        assert_close(dict(gmod.named_parameters())[name].grad, p.grad, atol=atol, what=name)
    for name, b in tmod.named_buffers():
        assert_close(dict(gmod.named_buffers())[name], b, atol=atol, what=name)
    return gy


@pytest.mark.parametrize("make", [
    lambda m: m.GELU(), lambda m: m.GELU(approximate="tanh"), lambda m: m.SiLU(),
    lambda m: m.Mish(), lambda m: m.Hardswish(), lambda m: m.SELU(), lambda m: m.ELU(0.7),
    lambda m: m.LeakyReLU(0.1), lambda m: m.PReLU(), lambda m: m.PReLU(3, init=0.1)])
def test_activation_modules(make):
    x = np.random.default_rng(0).standard_normal((2, 3, 5))
    _compare(make(nn).double(), make(torch.nn).double(), x)


def test_prelu_parameter_name_and_shape_are_pytorchs():
    assert list(nn.PReLU(4).state_dict()) == ["weight"]
    assert nn.PReLU(4).weight.shape == (4,)
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive integer"):
        nn.PReLU(0)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 7)), ("InstanceNorm1d", (3, 7)),
                                       ("InstanceNorm2d", (2, 3, 4, 5)),
                                       ("InstanceNorm2d", (3, 4, 5))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True)])
def test_instance_norm(cls, shape, affine, track):
    tmod = getattr(torch.nn, cls)(3, affine=affine, track_running_stats=track).double()
    gmod = getattr(nn, cls)(3, affine=affine, track_running_stats=track).double()
    if affine:
        with torch.no_grad():
            tmod.weight.uniform_(0.5, 1.5)
            tmod.bias.uniform_(-0.5, 0.5)
    rng = np.random.default_rng(2)
    for _ in range(2):
        _compare(gmod, tmod, rng.standard_normal(shape) * 2 + 1)
    if track:
        tmod.eval()
        gmod.eval()
        x = rng.standard_normal(shape)
        assert_close(gmod(gw.tensor(x)), tmod(torch.tensor(x)), atol=1e-6, what="eval")
        assert sorted(gmod.state_dict()) == sorted(tmod.state_dict())


def test_instance_norm_refuses_wrong_channels():
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected input of shape \(N, 3"):
        nn.InstanceNorm2d(3)(gw.zeros(2, 4, 5, 5))


def test_layer_norm_and_group_norm_exist_and_match():
    x = np.random.default_rng(4).standard_normal((2, 6, 3, 4))
    _compare(nn.LayerNorm([3, 4]).double(), torch.nn.LayerNorm([3, 4]).double(), x)
    _compare(nn.GroupNorm(3, 6).double(), torch.nn.GroupNorm(3, 6).double(), x)


def test_embedding_padding_idx_gets_no_gradient():
    t = torch.nn.Embedding(5, 3, padding_idx=1).double()
    g = nn.Embedding(5, 3, padding_idx=1).double()
    g.load_state_dict(t.state_dict())
    idx = np.array([[0, 1, 1, 4], [1, 2, 3, 1]])
    gy, ty = g(gw.tensor(idx)), t(torch.tensor(idx))
    assert_close(gy, ty)
    gy.sum().backward()
    ty.sum().backward()
    assert_close(g.weight.grad, t.weight.grad)
    assert not g.weight.grad.data[1].any()
    assert not nn.Embedding(5, 3, padding_idx=-1).weight.data[4].any()


@pytest.mark.parametrize("shape,kwargs", [((2, 3, 4), {"scale_factor": 2}),
                                          ((1, 2, 3, 4), {"scale_factor": (2, 3)}),
                                          ((1, 2, 3, 4), {"size": (6, 8)}),
                                          ((1, 1, 2, 2, 2), {"scale_factor": 2})])
def test_upsample_nearest(shape, kwargs):
    check_op(nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), shapes=[shape],
             dtypes=(np.float64, np.float32))


def test_upsample_bilinear_through_interpolate():
    for ac in (False, True):
        check_op(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=ac),
                 torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=ac),
                 shapes=[(1, 2, 3, 4)])


def test_upsample_needs_one_of_size_and_scale():
    with pytest.raises(ValueError, match="Upsample: give exactly one of size and scale_factor"):
        nn.Upsample()


@pytest.mark.parametrize("r,shape", [(2, (2, 8, 3, 4)), (3, (9, 2, 2)), (1, (1, 2, 3, 3)),
                                     (2, (2, 1, 4, 3, 5))])
def test_pixel_shuffle_and_unshuffle(r, shape):
    check_op(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), shapes=[shape])
    out = tuple(torch.nn.PixelShuffle(r)(torch.zeros(shape)).shape)
    check_op(nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), shapes=[out])


def test_pixel_shuffle_refuses_indivisible_channels():
    with pytest.raises(ValueError, match="PixelShuffle: expected input"):
        nn.PixelShuffle(2)(gw.zeros(1, 3, 2, 2))
