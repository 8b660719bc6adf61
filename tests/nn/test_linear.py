"""Linear (and Identity, Flatten, Unflatten): PyTorch's init statistics and outputs."""
import math

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn
from tests.helpers import check_op


def test_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32
        assert np.abs(p.detach().numpy()).max() <= bound
        assert np.abs(p.detach().numpy()).max() > 0.98 * bound           # fills the interval
    w = layer.weight.detach().numpy()
    assert abs(w.mean()) < 0.02 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)   # U(−b, b): σ = b/√3


def test_init_is_seeded():
    gw.manual_seed(3)
    a = nn.Linear(5, 4).weight.detach().numpy().copy()
    gw.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(5, 4).weight.detach().numpy(), a)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(7, 5), (5,), (2, 3, 5)])
def test_forward_equals_torch_with_copied_weights(bias, x_shape):
    layer = nn.Linear(5, 3, bias=bias)
    ref = torch.nn.Linear(5, 3, bias=bias)
    ref.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                         for k, v in layer.state_dict().items()})
    assert list(layer.state_dict()) == list(ref.state_dict())
    x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    gx = gw.tensor(x, requires_grad=True)
    tx = torch.from_numpy(x).requires_grad_()
    out, ref_out = layer(gx), ref(tx)
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    ref_out.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-5)


def test_linear_gradients_in_float64():
    layer = nn.Linear(4, 3).double()
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    check_op(lambda x: layer(x), lambda x: torch.nn.functional.linear(
        x, torch.from_numpy(w), torch.from_numpy(b)), shapes=[(6, 4)])


@pytest.mark.parametrize("args, name", [((0, 3), "in_features"), ((3, -1), "out_features"),
                                        ((2.5, 3), "in_features")])
def test_bad_sizes_are_rejected(args, name):
    with pytest.raises(ValueError, match=name):
        nn.Linear(*args)


def test_identity_flatten_unflatten_match_torch():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    t = torch.from_numpy(x)
    assert nn.Identity(7, k=1)(gw.tensor(x)).shape == (2, 3, 4, 5)
    for args in [(), (2,), (0, 2), (1, -2)]:
        assert nn.Flatten(*args)(gw.tensor(x)).shape == tuple(torch.nn.Flatten(*args)(t).shape)
    out = nn.Unflatten(1, (3, 1))(gw.tensor(x))
    assert out.shape == tuple(torch.nn.Unflatten(1, (3, 1))(t).shape)
    np.testing.assert_array_equal(out.detach().numpy(), torch.nn.Unflatten(1, (3, 1))(t).numpy())
