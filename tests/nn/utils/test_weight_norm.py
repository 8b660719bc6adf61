"""Weight normalisation (nn/utils/weight_norm.py) against torch.nn.utils.weight_norm."""
import copy
import warnings

import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from gradwork.nn.utils import remove_weight_norm, weight_norm
from gradwork.tools import gradcheck


def torch_weight_norm(module, **kw):
    with warnings.catch_warnings():                                  # the legacy API is deprecated
        warnings.simplefilter("ignore")
        return torch.nn.utils.weight_norm(module, **kw)


def paired(gw_module, torch_module, x_shape, dim, seed=0):
    """Same weights in both, weight norm on both, g and v moved off their initial values."""
    gw_module.double()
    torch_module.double().load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                                           for k, v in gw_module.state_dict().items()})
    weight_norm(gw_module, dim=dim)
    torch_weight_norm(torch_module, dim=dim)
    rng = np.random.default_rng(seed)
    state = {k: np.asarray(v.detach().numpy() + 0.3 * rng.standard_normal(v.shape))
             for k, v in torch_module.state_dict().items()}
    torch_module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    gw_module.load_state_dict(state)
    return rng.standard_normal(x_shape)


def compare(gw_module, torch_module, x):
    assert list(gw_module.state_dict()) == list(torch_module.state_dict())
    for k, v in torch_module.state_dict().items():
        assert gw_module.state_dict()[k].shape == tuple(v.shape), k
    out = gw_module(gw.Tensor(x))
    ref = torch_module(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    v = np.random.default_rng(1).standard_normal(out.shape)
    (out * gw.Tensor(v)).sum().backward()
    (ref * torch.from_numpy(v)).sum().backward()
    params = dict(torch_module.named_parameters())
    for name, p in gw_module.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), params[name].grad.numpy(), atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_linear_matches_torch(dim):
    g, t = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    x = paired(g, t, (5, 4), dim)
    compare(g, t, x)


@pytest.mark.parametrize("dim", [0, 2, None])
def test_conv1d_matches_torch(dim):
    g, t = nn.Conv1d(3, 4, 2, dilation=2), torch.nn.Conv1d(3, 4, 2, dilation=2)
    x = paired(g, t, (2, 3, 7), dim)
    compare(g, t, x)


def test_shapes_and_initial_function():
    lin = nn.Linear(4, 3)
    before = lin.weight.detach().numpy().copy()
    weight_norm(lin)
    assert lin.weight_g.shape == (3, 1) and lin.weight_v.shape == (3, 4)
    assert "weight" not in dict(lin.named_parameters())
    np.testing.assert_allclose(lin.weight.detach().numpy(), before, rtol=1e-6)
    assert weight_norm(nn.Linear(4, 3), dim=None).weight_g.shape == ()


def test_gradcheck():
    lin = weight_norm(nn.Linear(3, 2).double())
    x = gw.Tensor(np.random.default_rng(2).standard_normal((4, 3)), requires_grad=True)
    gradcheck(lambda x, g, v, b: lin(x), [x, lin.weight_g, lin.weight_v, lin.bias])


def test_weight_recomputed_every_forward():
    lin = weight_norm(nn.Linear(3, 2).double())
    x = gw.Tensor(np.ones((1, 3)))
    base = lin(x).detach().numpy() - lin.bias.detach().numpy()
    lin.weight_g.data *= 2
    np.testing.assert_allclose(lin(x).detach().numpy() - lin.bias.detach().numpy(), 2 * base)
    lin.weight_v.data *= 5                                            # direction only: no change
    np.testing.assert_allclose(lin(x).detach().numpy() - lin.bias.detach().numpy(), 2 * base)


def test_remove_weight_norm():
    lin = weight_norm(nn.Linear(3, 2))
    lin.weight_g.data *= 3
    x = gw.randn(4, 3)
    expected = lin(x).detach().numpy()
    remove_weight_norm(lin)
    assert list(lin.state_dict()) == ["bias", "weight"]
    assert isinstance(lin.weight, nn.Parameter) and "forward" not in vars(lin)
    np.testing.assert_allclose(lin(x).detach().numpy(), expected, rtol=1e-6)


def test_deepcopy_uses_its_own_parameters():
    lin = weight_norm(nn.Linear(3, 2))
    twin = copy.deepcopy(lin)
    twin.weight_g.data *= 0
    x = gw.randn(1, 3)
    np.testing.assert_allclose(twin(x).detach().numpy(), twin.bias.detach().numpy()[None])
    assert np.abs(lin(x).detach().numpy() - lin.bias.detach().numpy()).max() > 0


def test_bad_input():
    lin = weight_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Linear.weight already has weight normalisation"):
        weight_norm(lin)
    with pytest.raises(ValueError, match="Linear has no parameter 'kernel'"):
        weight_norm(nn.Linear(3, 2), name="kernel")
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found in Linear"):
        remove_weight_norm(lin, "bias")
    with pytest.raises(IndexError, match="dim 2 is out of range for a weight of 2 dims"):
        weight_norm(nn.Linear(3, 2), dim=2)
