"""Adagrad, NAdam, RAdam (gradwork/optim/adagrad.py, nadam.py, radam.py) step by step against
PyTorch on the same gradients; AdamW verified; state dicts round trip."""
import json

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import Adagrad, AdamW, NAdam, RAdam, flatten_state_dict, unflatten_state_dict
from tests.optim.reference import Pair, run_and_compare

CASES = [
    (Adagrad, torch.optim.Adagrad, {"lr": 0.1}),
    (Adagrad, torch.optim.Adagrad, {"lr": 0.05, "lr_decay": 0.1, "weight_decay": 0.1,
                                    "initial_accumulator_value": 0.3, "eps": 1e-6}),
    (Adagrad, torch.optim.Adagrad, {"lr": 0.05, "maximize": True}),
    (NAdam, torch.optim.NAdam, {"lr": 0.01}),
    (NAdam, torch.optim.NAdam, {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    (NAdam, torch.optim.NAdam, {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True,
                                "betas": (0.8, 0.99)}),
    (NAdam, torch.optim.NAdam, {"lr": 0.01, "maximize": True}),
    (RAdam, torch.optim.RAdam, {"lr": 0.01}),
    (RAdam, torch.optim.RAdam, {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.9)}),
    (RAdam, torch.optim.RAdam, {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (RAdam, torch.optim.RAdam, {"lr": 0.01, "maximize": True, "eps": 1e-3}),
    (AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,torch_cls,kwargs", CASES)
def test_matches_torch_step_by_step(cls, torch_cls, kwargs, dtype):
    # PyTorch keeps scalar state (NAdam's mu_product) in the default dtype: make it float64
    # so that the float64 comparison measures the update rule, not float32 rounding
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        run_and_compare(cls, torch_cls, kwargs, dtype=dtype, steps=12)
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("cls,torch_cls", [(Adagrad, torch.optim.Adagrad),
                                           (NAdam, torch.optim.NAdam),
                                           (RAdam, torch.optim.RAdam)])
def test_param_groups_and_state_dict_round_trip(cls, torch_cls):
    groups = [{"idx": [0, 2], "lr": 0.05}, {"idx": [1, 3], "weight_decay": 0.2}]
    torch.set_default_dtype(torch.float64)
    try:
        _round_trip(cls, torch_cls, groups)
    finally:
        torch.set_default_dtype(torch.float32)


def _round_trip(cls, torch_cls, groups):
    pair = run_and_compare(cls, torch_cls, {"lr": 0.01}, groups=groups, steps=6)
    arrays, meta = flatten_state_dict(pair.gw_opt.state_dict())
    meta = json.loads(json.dumps(meta))
    fresh = Pair(cls, torch_cls, {"lr": 0.01}, groups=groups)
    for mine, old in zip(fresh.gw_params, pair.gw_params):
        mine.data[...] = old.data
    fresh.gw_opt.load_state_dict(unflatten_state_dict(arrays, meta))
    fresh.torch_params, fresh.torch_opt = pair.torch_params, pair.torch_opt
    fresh.rng, fresh.t = pair.rng, pair.t
    for _ in range(6):
        fresh.step()
        fresh.assert_close()


@pytest.mark.parametrize("cls,kwargs,name", [
    (Adagrad, {"lr": -1.0}, "lr"), (Adagrad, {"lr_decay": -0.1}, "lr_decay"),
    (Adagrad, {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    (NAdam, {"momentum_decay": -1}, "momentum_decay"), (NAdam, {"betas": (1.0, 0.9)}, "betas"),
    (RAdam, {"eps": -1e-8}, "eps"), (RAdam, {"weight_decay": float("nan")}, "weight_decay")])
def test_bad_arguments_are_named(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"{cls.__name__}: .*{name}"):
        cls([gw.nn.Parameter(np.zeros(2))], **kwargs)
