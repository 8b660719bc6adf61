import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import SGD
from tests.optim.reference import run_and_compare

CASES = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.05},
    {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01, "nesterov": True},
    {"lr": 0.1, "maximize": True},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.02, "maximize": True},
]
GROUPS = [{"idx": [0, 1], "lr": 0.2, "momentum": 0.5},
          {"idx": [2, 3], "nesterov": True, "weight_decay": 0.1}]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", CASES)
def test_sgd_matches_torch(kwargs, dtype):
    run_and_compare(SGD, torch.optim.SGD, kwargs, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_param_groups_match_torch(dtype):
    run_and_compare(SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, GROUPS, dtype)


def test_momentum_equals_the_decks_velocity_form():
    # v ← μv − lr g; θ ← θ + v equals PyTorch's form when lr is constant and τ = 0.
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((10, 3))
    p = gw.nn.Parameter(np.zeros(3))
    opt = SGD([p], lr=0.1, momentum=0.9)
    theta, v = np.zeros(3), np.zeros(3)
    for g in grads:
        p.grad = gw.tensor(g)
        opt.step()
        v = 0.9 * v - 0.1 * g
        theta = theta + v
    np.testing.assert_allclose(p.detach().numpy(), theta, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs, name", [
    ({"lr": -0.1}, "lr"), ({"lr": float("nan")}, "lr"), ({"momentum": -0.5}, "momentum"),
    ({"weight_decay": -1e-4}, "weight_decay"), ({"nesterov": True}, "nesterov"),
    ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
])
def test_sgd_rejects_bad_options(kwargs, name):
    p = gw.nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=name):
        SGD([p], **kwargs)


def test_bad_option_in_a_param_group_is_rejected():
    a, b = gw.nn.Parameter(np.zeros(2)), gw.nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=r"SGD: Invalid learning rate: -1 \(lr must be a finite "
                                         r"number >= 0, got -1\)"):
        SGD([{"params": [a]}, {"params": [b], "lr": -1}], lr=0.1)


def _sgd_formula(p, grads, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
    """The update as written before the in-place form (PyTorch's equations, one array each)."""
    p, buf = p.copy(), None
    for g in grads:
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            if buf is None:
                buf = g.copy()
            else:
                buf *= momentum
                buf += (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p -= lr * g
    return p


@pytest.mark.parametrize("kwargs", [c for c in CASES if "maximize" not in c])
def test_in_place_update_has_the_bits_of_the_formula(kwargs):
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal((5, 4)).astype(np.float32)
    grads = rng.standard_normal((6, 5, 4)).astype(np.float32)
    p = gw.nn.Parameter(p0.copy())
    opt = SGD([p], **kwargs)
    for g in grads:
        p.grad = gw.tensor(g)
        opt.step()
    np.testing.assert_array_equal(p.detach().numpy().view(np.int32),
                                  _sgd_formula(p0, grads, **kwargs).view(np.int32))
