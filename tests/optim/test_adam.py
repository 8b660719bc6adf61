import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import Adam, AdamW
from tests.optim.reference import run_and_compare

ADAM_CASES = [
    {"lr": 0.01},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.02, "weight_decay": 0.05, "amsgrad": True},
    {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3},
    {"lr": 0.01, "maximize": True, "weight_decay": 0.01},
]
ADAMW_CASES = [
    {"lr": 0.01},
    {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True},
    {"lr": 0.01, "weight_decay": 0.0},
    {"lr": 0.01, "maximize": True},
]
GROUPS = [{"idx": [0, 2], "lr": 0.05, "amsgrad": True}, {"idx": [1, 3], "weight_decay": 0.3}]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", ADAM_CASES)
def test_adam_matches_torch(kwargs, dtype):
    run_and_compare(Adam, torch.optim.Adam, kwargs, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", ADAMW_CASES)
def test_adamw_matches_torch(kwargs, dtype):
    run_and_compare(AdamW, torch.optim.AdamW, kwargs, dtype=dtype)


@pytest.mark.parametrize("cls, torch_cls", [(Adam, torch.optim.Adam),
                                            (AdamW, torch.optim.AdamW)])
def test_param_groups_match_torch(cls, torch_cls):
    run_and_compare(cls, torch_cls, {"lr": 0.01}, GROUPS, np.float64)


def test_adam_first_step_is_lr_times_sign():
    # With m̂ = g and v̂ = g², the first step is lr·g/(|g| + ε) ≈ lr·sign(g) (Kingma & Ba 2015).
    # (eps = 0 itself is refused: 0/0 where v = 0; a negligible eps gives the same step.)
    p = gw.nn.Parameter(np.array([1.0, -2.0, 3.0]))
    p.grad = gw.tensor(np.array([0.5, -4.0, 1e-3]))
    Adam([p], lr=0.1, eps=1e-300).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-12)


def test_adamw_defaults_and_decoupling():
    p = gw.nn.Parameter(np.array([2.0]))
    opt = AdamW([p])
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    p.grad = gw.tensor(np.array([0.0]))     # zero gradient: only the decay moves θ
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [2.0 * (1 - 1e-3 * 1e-2)], rtol=1e-14)


@pytest.mark.parametrize("kwargs, name", [
    ({"lr": -1e-3}, "lr"), ({"lr": float("nan")}, "lr"), ({"eps": -1e-8}, "eps"),
    ({"weight_decay": -0.1}, "weight_decay"), ({"betas": (1.0, 0.999)}, r"betas\[0\]"),
    ({"betas": (0.9, -0.1)}, r"betas\[1\]"), ({"betas": (0.9,)}, "betas"),
])
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_rejects_bad_options(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls([gw.nn.Parameter(np.zeros(2))], **kwargs)
