"""nn/conv.py and nn/pool.py: PyTorch's reprs, state dicts, default init, padding modes,
output_size, the deck's example and constructor errors."""
import math

import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn

LAYERS = [
    ("Conv2d", (3, 10, 5), dict(padding=2)),
    ("Conv2d", (4, 8, (3, 2)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ("Conv2d", (4, 6, 3), dict(padding="same", padding_mode="reflect")),
    ("Conv2d", (4, 6, 4), dict(padding="same", padding_mode="circular", dilation=1)),
    ("Conv2d", (4, 4, 3), dict(padding=(1, 2), padding_mode="replicate", groups=4)),
    ("Conv2d", (4, 6, 3), dict(padding="valid")),
    ("Conv1d", (3, 4, 3), dict(padding="same")),
    ("Conv1d", (4, 6, 2), dict(stride=3, padding=1, padding_mode="reflect")),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(stride=(1, 2), padding=1, groups=2, dilation=2)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, bias=False)),
]


def _pair(name, args, kwargs):
    gm, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    gm.load_state_dict(tm.state_dict())
    return gm, tm


@pytest.mark.parametrize("name,args,kwargs", LAYERS)
def test_conv_layers_match_pytorch(name, args, kwargs):
    gm, tm = _pair(name, args, kwargs)
    assert repr(gm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in gm.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    shape = (2, args[0]) + (7, 8)[2 - (1 if name.endswith("1d") else 2):]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xg = gw.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yg, yt = gm(xg), tm(xt)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    yg.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gm.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-4, atol=1e-3)
    unbatched = gm(gw.tensor(x[0]))                          # (C, ...) accepted as in PyTorch
    np.testing.assert_allclose(unbatched.detach().numpy(), yg.detach().numpy()[0], rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("name,shape", [("Conv2d", (8, 3, 3, 5)), ("ConvTranspose2d", (3, 4, 3, 5)),
                                        ("Conv1d", (8, 3, 5))])
def test_default_init(name, shape):
    """PyTorch's default: weight and bias ~ U(±1/√fan_in), fan_in = weight.shape[1]·∏k (for
    ConvTranspose, out_channels/groups · ∏k, as PyTorch computes it)."""
    gw.manual_seed(0)
    channels = shape[:2] if name == "ConvTranspose2d" else shape[1::-1]
    m = getattr(nn, name)(*channels, shape[2:])
    assert m.weight.shape == shape
    bound = 1 / math.sqrt(math.prod(shape[1:]))
    assert bound * 0.9 < np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert m.weight.dtype == np.float32


def test_deck_002_example():
    layer = nn.Conv2d(3, 10, 5, stride=1, padding=2)
    assert sum(p.numel() for p in layer.parameters()) == 760
    assert layer(gw.randn(1, 3, 32, 32)).shape == (1, 10, 32, 32)


def test_conv_transpose_output_size():
    gm, tm = _pair("ConvTranspose2d", (4, 2, 3), dict(stride=2, padding=1))
    x = np.random.default_rng(0).standard_normal((1, 4, 5, 5)).astype(np.float32)
    for size in [(9, 9), (10, 9), (1, 4, 10, 10)]:
        yg, yt = gm(gw.tensor(x), output_size=size), tm(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"output_size \(11, 9\) is not reachable"):
        gm(gw.tensor(x), output_size=(11, 9))


def test_causal_conv1d_layer():
    m = nn.CausalConv1d(2, 3, 3, dilation=2)
    t = torch.nn.Conv1d(2, 3, 3, dilation=2)
    m.load_state_dict(t.state_dict())                     # same parameters as Conv1d
    x = np.random.default_rng(0).standard_normal((1, 2, 9)).astype(np.float32)
    ref = t(torch.nn.functional.pad(torch.tensor(x), (4, 0))).detach().numpy()
    np.testing.assert_allclose(m(gw.tensor(x)).detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    assert "causal=True" in repr(m)


POOLS = [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", ((2, 3),), dict(stride=1, ceil_mode=True)),
    ("MaxPool2d", (3, 2, 1), dict(dilation=1)), ("MaxPool1d", (3,), dict(ceil_mode=True)),
    ("AvgPool2d", (3, 2, 1), {}), ("AvgPool1d", (3,), {}),
    ("AvgPool2d", (2,), dict(ceil_mode=True, count_include_pad=False, divisor_override=2)),
    ("AdaptiveAvgPool2d", ((3, None),), {}), ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveAvgPool1d", (3,), {}), ("AdaptiveMaxPool2d", (3,), {}),
    ("AdaptiveMaxPool1d", (2,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", POOLS)
def test_pool_layers_match_pytorch(name, args, kwargs):
    gm, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(gm) == repr(tm)
    shape = (2, 3, 7) if name.endswith("1d") else (2, 3, 7, 8)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(gm(gw.tensor(x)).detach().numpy(), tm(torch.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("nd", [1, 2])
def test_max_unpool_round_trip(nd):
    """MaxUnpool(MaxPool(x)) keeps each window's maximum in place, zeros elsewhere (SegNet)."""
    d = f"{nd}d"
    pool = getattr(nn, "MaxPool" + d)(2, return_indices=True)
    unpool = getattr(nn, "MaxUnpool" + d)(2)
    tpool = getattr(torch.nn, "MaxPool" + d)(2, return_indices=True)
    tunpool = getattr(torch.nn, "MaxUnpool" + d)(2)
    assert repr(unpool) == repr(tunpool)
    shape = (2, 3, 9) if nd == 1 else (2, 3, 9, 7)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y, idx = pool(gw.tensor(x))
    ty, tidx = tpool(torch.tensor(x))
    out = unpool(y, idx, output_size=shape)
    np.testing.assert_array_equal(out.detach().numpy(),
                                  tunpool(ty, tidx, output_size=shape).numpy())
    kept = out.detach().numpy() != 0
    np.testing.assert_array_equal(out.detach().numpy()[kept], x[kept])


@pytest.mark.parametrize("ctor,match", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"in_channels=3 must be divisible by groups=2"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), r"out_channels=3 must be divisible by groups=2"),
    (lambda: nn.Conv2d(3, 4, 0), r"kernel_size must be positive"),
    (lambda: nn.Conv2d(3, 4, 3, stride=0), r"stride must be positive"),
    (lambda: nn.Conv2d(3, 4, 3, padding=-1), r"padding must be non-negative"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), r"padding='same' is not supported"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), r"padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), r"padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2),
     r"output_padding must be smaller than either stride or dilation"),
    (lambda: nn.Conv2d(0, 4, 3), r"in_channels must be a positive integer"),
    (lambda: nn.MaxPool2d(0), r"kernel_size must be positive"),
    (lambda: nn.AvgPool2d(2, stride=0), r"stride must be positive"),
    (lambda: nn.MaxUnpool2d(2, padding=-1), r"padding must be non-negative"),
])
def test_constructor_errors(ctor, match):
    with pytest.raises(ValueError, match=match):
        ctor()


def test_forward_errors():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-D .* got shape \(3, 8\)"):
        conv(gw.randn(3, 8))
    with pytest.raises(ValueError, match=r"input has 5 channels"):
        conv(gw.randn(1, 5, 8, 8))
    with pytest.raises(ValueError, match=r"kernel of size \(3, 3\).*larger than the padded"):
        conv(gw.randn(1, 3, 2, 8))
    with pytest.raises(RuntimeError, match="shape"):
        conv.load_state_dict({"weight": np.zeros((4, 3, 5, 5)), "bias": np.zeros(4)})
