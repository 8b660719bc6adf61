"""TCN (nn/tcn.py): causality, receptive field, gradcheck, the reference block in torch."""
import warnings

import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from gradwork.tools import gradcheck


class TorchChomp(torch.nn.Module):
    def __init__(self, chomp):
        super().__init__()
        self.chomp = chomp

    def forward(self, x):
        return x[:, :, :x.shape[2] - self.chomp]


class TorchBlock(torch.nn.Module):
    """locuslab/TCN's TemporalBlock, same attribute names (the reference to load from)."""

    def __init__(self, n_in, n_out, k, stride, dilation, padding):
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wn = torch.nn.utils.weight_norm
            self.conv1 = wn(torch.nn.Conv1d(n_in, n_out, k, stride=stride, padding=padding,
                                            dilation=dilation))
            self.conv2 = wn(torch.nn.Conv1d(n_out, n_out, k, stride=stride, padding=padding,
                                            dilation=dilation))
        self.chomp1, self.chomp2 = TorchChomp(padding), TorchChomp(padding)
        self.relu1, self.relu2, self.relu = torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.ReLU()
        self.dropout1, self.dropout2 = torch.nn.Dropout(0.0), torch.nn.Dropout(0.0)
        self.net = torch.nn.Sequential(self.conv1, self.chomp1, self.relu1, self.dropout1,
                                       self.conv2, self.chomp2, self.relu2, self.dropout2)
        self.downsample = torch.nn.Conv1d(n_in, n_out, 1) if n_in != n_out else None

    def forward(self, x):
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(self.net(x) + res)


@pytest.mark.parametrize("n_in,n_out,k,d", [(3, 4, 2, 1), (4, 4, 3, 2)])
def test_block_loads_torch_weights_and_matches(n_in, n_out, k, d):
    ref = TorchBlock(n_in, n_out, k, 1, d, (k - 1) * d).double()
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.2 * torch.randn_like(p))
    block = nn.TemporalBlock(n_in, n_out, k, 1, d, (k - 1) * d, dropout=0.0).double()
    assert list(block.state_dict()) == list(ref.state_dict())        # net.0 repeats conv1, …
    block.load_state_dict(ref.state_dict())
    x = np.random.default_rng(0).standard_normal((2, n_in, 9))
    xg, xt = gw.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = block(xg), ref(xt)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    theirs = dict(ref.named_parameters())
    for name, p in block.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), atol=1e-12,
                                   err_msg=name)


def test_gradcheck_tiny_block():
    block = nn.TemporalBlock(2, 3, 2, 1, 2, 2, dropout=0.0).double()
    for p in block.parameters():
        p.data[...] = np.random.default_rng(1).uniform(-1, 1, p.shape)
    x = gw.Tensor(np.random.default_rng(2).standard_normal((1, 2, 6)), requires_grad=True)
    gradcheck(lambda x, *ps: block(x), [x, *block.parameters()])


def test_causal_future_does_not_change_the_past():
    tcn = nn.TCN(3, [4, 4, 5], kernel_size=3).double().eval()
    rng = np.random.default_rng(3)
    for p in tcn.parameters():                                       # weights of order one
        p.data[...] = rng.uniform(-1, 1, p.shape)
    x = rng.standard_normal((2, 3, 20))
    base = tcn(gw.Tensor(x)).detach().numpy()
    for t in (0, 7, 18):
        y = x.copy()
        y[:, :, t + 1:] += 10 * np.random.default_rng(t).standard_normal(y[:, :, t + 1:].shape)
        out = tcn(gw.Tensor(y)).detach().numpy()
        np.testing.assert_array_equal(out[:, :, :t + 1], base[:, :, :t + 1])
        assert not np.allclose(out[:, :, t + 1:], base[:, :, t + 1:])


@pytest.mark.parametrize("k,levels", [(2, 3), (3, 2)])
def test_receptive_field(k, levels):
    """With positive weights and inputs every ReLU is active, so ∂y_T/∂x_t ≠ 0 exactly on the
    last 1 + 2(k − 1)(2^L − 1) steps."""
    tcn = nn.TCN(2, [3] * levels, kernel_size=k, dropout=0.0).double()
    rf = 1 + 2 * (k - 1) * (2 ** levels - 1)
    assert tcn.receptive_field == rf
    for p in tcn.parameters():
        p.data[...] = np.random.default_rng(4).uniform(0.1, 1.0, p.shape)
    T = rf + 5
    x = gw.Tensor(np.random.default_rng(5).uniform(0.1, 1, (1, 2, T)), requires_grad=True)
    tcn(x)[0, :, T - 1].sum().backward()
    seen = np.abs(x.grad.numpy()).sum(axis=(0, 1)) > 0
    np.testing.assert_array_equal(seen, np.arange(T) >= T - rf)


def test_shapes_names_and_dropout():
    tcn = nn.TCN(3, [8, 8, 4], kernel_size=2, dropout=0.5)
    assert tcn(gw.randn(2, 3, 11)).shape == (2, 4, 11)
    keys = tcn.state_dict().keys()
    assert "network.0.conv1.weight_g" in keys and "network.0.downsample.weight" in keys
    assert "network.1.downsample.weight" not in keys and "network.2.downsample.bias" in keys
    conv = tcn.network[0].conv1                                      # w = g·v/‖v‖ ~ N(0, 0.01)
    np.testing.assert_allclose(conv.weight_g.detach().numpy()[:, 0, 0],
                               np.sqrt((conv.weight_v.detach().numpy() ** 2).sum(axis=(1, 2))),
                               rtol=1e-6)
    assert 0.005 < conv.weight.detach().numpy().std() < 0.02
    x = gw.randn(1, 3, 11)
    assert not np.array_equal(tcn(x).detach().numpy(), tcn(x).detach().numpy())  # train: dropout
    tcn.eval()
    np.testing.assert_array_equal(tcn(x).detach().numpy(), tcn(x).detach().numpy())


def test_bad_input():
    with pytest.raises(ValueError, match="num_channels must list at least one"):
        nn.TCN(3, [])
    with pytest.raises(ValueError, match="kernel_size must be a positive integer, got 0"):
        nn.TCN(3, [4], kernel_size=0)
    with pytest.raises(ValueError, match=r"input must have shape \(N, C, T\), got \(3, 11\)"):
        nn.TCN(3, [4])(gw.randn(3, 11))
    with pytest.raises(ValueError, match="padding must be a non-negative integer"):
        nn.TemporalBlock(3, 4, 2, 1, 1, -1)
