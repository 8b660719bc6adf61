"""nn.init: the Xavier and Kaiming formulas (statistically, on large tensors) and the gains."""
import math

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn
from gradwork.nn import init

SHAPES = [(600, 400), (128, 64, 3, 3)]


def fans(shape):
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def sample(shape, fn, **kwargs):
    p = nn.Parameter(np.empty(shape, np.float32))
    out = fn(p, **kwargs)
    assert out is p and p.dtype == np.float32 and p.requires_grad
    return p.detach().numpy()


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="gelu"):
        init.calculate_gain("gelu")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_uniform(shape, gain):
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    w = sample(shape, init.xavier_uniform_, gain=gain)
    assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_normal(shape):
    fan_in, fan_out = fans(shape)
    w = sample(shape, init.xavier_normal_, gain=2.0)
    assert w.std() == pytest.approx(2.0 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    assert abs(w.mean()) < 0.01 * w.std()


KAIMING = [
    {},
    {"a": math.sqrt(5)},
    {"a": 0.2, "mode": "fan_out"},
    {"nonlinearity": "relu"},
    {"nonlinearity": "relu", "mode": "fan_out"},
    {"nonlinearity": "tanh", "mode": "fan_in"},
]


def kaiming_std(shape, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    gain = math.sqrt(2 / (1 + a * a)) if nonlinearity == "leaky_relu" else \
        {"relu": math.sqrt(2), "tanh": 5 / 3}[nonlinearity]
    return gain / math.sqrt(fan)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", KAIMING)
def test_kaiming_uniform(shape, kwargs):
    bound = math.sqrt(3) * kaiming_std(shape, **kwargs)
    w = sample(shape, init.kaiming_uniform_, **kwargs)
    assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", KAIMING)
def test_kaiming_normal(shape, kwargs):
    w = sample(shape, init.kaiming_normal_, **kwargs)
    assert w.std() == pytest.approx(kaiming_std(shape, **kwargs), rel=0.01)
    assert abs(w.mean()) < 0.01 * w.std()


def test_torchs_std_agrees_with_the_formula():
    # The reference formula above is PyTorch's: check it on torch's own sample.
    t = torch.empty(600, 400)
    torch.nn.init.kaiming_normal_(t, a=0.2, mode="fan_out")
    assert t.std().item() == pytest.approx(kaiming_std((600, 400), a=0.2, mode="fan_out"),
                                           rel=0.01)


def test_constant_and_simple_initialisers():
    shape = (50, 40)
    assert (sample(shape, init.zeros_) == 0).all()
    assert (sample(shape, init.ones_) == 1).all()
    assert (sample(shape, init.constant_, val=0.25) == 0.25).all()
    u = sample(shape, init.uniform_, a=-2.0, b=-1.0)
    assert u.min() >= -2.0 and u.max() <= -1.0
    assert sample((400, 500), init.normal_, mean=3.0, std=0.5).std() == pytest.approx(0.5,
                                                                                      rel=0.01)


def test_fan_needs_two_dimensions_and_a_valid_mode():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5, np.float32)))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(nn.Parameter(np.zeros((2, 2), np.float32)), mode="fan_avg")


def test_initialisers_are_seeded():
    gw.manual_seed(7)
    a = sample((3, 4), init.kaiming_uniform_)
    gw.manual_seed(7)
    np.testing.assert_array_equal(sample((3, 4), init.kaiming_uniform_), a)
