import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import RMSprop
from tests.optim.reference import run_and_compare

CASES = [
    {"lr": 0.01},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "centered": True},
    {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.05},
    {"lr": 0.01, "alpha": 0.9, "eps": 1e-4, "weight_decay": 0.1},
    {"lr": 0.01, "maximize": True, "momentum": 0.3},
]
GROUPS = [{"idx": [0, 1], "lr": 0.02, "centered": True}, {"idx": [2, 3], "momentum": 0.9}]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", CASES)
def test_rmsprop_matches_torch(kwargs, dtype):
    run_and_compare(RMSprop, torch.optim.RMSprop, kwargs, dtype=dtype)


def test_rmsprop_param_groups_match_torch():
    run_and_compare(RMSprop, torch.optim.RMSprop, {"lr": 0.01}, GROUPS, np.float64)


@pytest.mark.parametrize("kwargs, name", [
    ({"lr": -0.01}, "lr"), ({"alpha": -0.9}, "alpha"), ({"eps": -1.0}, "eps"),
    ({"momentum": -0.1}, "momentum"), ({"weight_decay": float("nan")}, "weight_decay"),
])
def test_rmsprop_rejects_bad_options(kwargs, name):
    with pytest.raises(ValueError, match=name):
        RMSprop([gw.nn.Parameter(np.zeros(2))], **kwargs)
