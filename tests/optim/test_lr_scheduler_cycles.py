"""LinearLR, CosineAnnealingWarmRestarts, OneCycleLR, SequentialLR (gradwork/optim/
lr_scheduler.py): lr (and momentum) sequences equal PyTorch's epoch by epoch, and state dicts
that pass through JSON resume the same sequence."""
import json

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import SGD, Adam, lr_scheduler

LRS = (0.1, 0.03)


def _optimizers(kind="sgd"):
    def groups(lib):
        make = (lambda: gw.nn.Parameter(np.zeros(2))) if lib is gw else \
            (lambda: torch.nn.Parameter(torch.zeros(2)))
        return [{"params": [make()], "lr": lr} for lr in LRS]
    if kind == "adam":
        return Adam(groups(gw)), torch.optim.Adam(groups(torch))
    return SGD(groups(gw), momentum=0.9), torch.optim.SGD(groups(torch), momentum=0.9)


def _build(lib, opt, name, kwargs):
    mod = lr_scheduler if lib is gw else torch.optim.lr_scheduler
    if name == "SequentialLR":
        parts = [getattr(mod, n)(opt, **kw) for n, kw in kwargs["schedulers"]]
        return mod.SequentialLR(opt, parts, milestones=kwargs["milestones"])
    return getattr(mod, name)(opt, **kwargs)


SCHEDULES = [
    ("LinearLR", {}, "sgd"),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 8}, "sgd"),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 10}, "sgd"),
    ("CosineAnnealingWarmRestarts", {"T_0": 5}, "sgd"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}, "sgd"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 30}, "sgd"),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 3, "steps_per_epoch": 10,
                    "anneal_strategy": "linear", "three_phase": True}, "sgd"),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 31, "pct_start": 0.25}, "adam"),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 30, "cycle_momentum": False}, "sgd"),
    ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 4}),
                                     ("CosineAnnealingLR", {"T_max": 10})],
                      "milestones": [5]}, "sgd"),
    ("SequentialLR", {"schedulers": [("MultiStepLR", {"milestones": [2]}),
                                     ("ExponentialLR", {"gamma": 0.8}),
                                     ("StepLR", {"step_size": 3, "gamma": 0.5})],
                      "milestones": [4, 12]}, "sgd"),
    ("SequentialLR", {"schedulers": [("ExponentialLR", {"gamma": 0.9}),
                                     ("LinearLR", {"start_factor": 0.5, "total_iters": 5}),
                                     ("LambdaLR", {"lr_lambda": lambda e: 0.97 ** e})],
                      "milestones": [6, 15]}, "sgd"),
]


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _pair(name, kwargs, kind):
    g_opt, t_opt = _optimizers(kind)
    return _build(gw, g_opt, name, kwargs), _build(torch, t_opt, name, kwargs)


@pytest.mark.parametrize("name,kwargs,kind", SCHEDULES)
def test_sequence_matches_torch(name, kwargs, kind):
    mine, ref = _pair(name, kwargs, kind)
    steps = 30 if name == "OneCycleLR" else 25
    for epoch in range(steps):
        assert mine.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12, abs=1e-15), epoch
        assert _momenta(mine.optimizer) == pytest.approx(_momenta(ref.optimizer), rel=1e-12)
        assert mine.last_epoch == ref.last_epoch
        mine.optimizer.step()
        ref.optimizer.step()
        mine.step()
        ref.step()


@pytest.mark.parametrize("name,kwargs,kind", SCHEDULES)
def test_state_dict_round_trip_through_json(name, kwargs, kind):
    if any(n == "LambdaLR" for n, _ in kwargs.get("schedulers", [])):
        pytest.skip("a lambda is not state (as in PyTorch)")
    ref, _ = _pair(name, kwargs, kind)
    expected = []
    for _ in range(25):
        ref.step()
        expected.append(ref.get_last_lr())
    sched, _ = _pair(name, kwargs, kind)
    for _ in range(10):
        sched.step()
    opt_state = json.loads(json.dumps(sched.optimizer.state_dict()))
    state = json.loads(json.dumps(sched.state_dict()))
    resumed, _ = _pair(name, kwargs, kind)
    resumed.optimizer.load_state_dict(opt_state)
    resumed.load_state_dict(state)
    got = []
    for _ in range(15):
        resumed.step()
        got.append(resumed.get_last_lr())
    assert got == expected[10:]


def test_warm_restarts_with_fractional_epochs_match_torch():
    mine, ref = _pair("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}, "sgd")
    for e in np.arange(0, 20, 0.35):
        mine.step(float(e))
        ref.step(float(e))
        assert mine.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12)


def test_lambda_lr_exists():
    mine, ref = _pair("LambdaLR", {"lr_lambda": lambda e: 1 / (e + 1)}, "sgd")
    for _ in range(5):
        for s in (mine, ref):
            s.optimizer.step()
            s.step()
    assert mine.get_last_lr() == pytest.approx(ref.get_last_lr())


def test_bad_arguments_use_pytorchs_wording():
    opt = _optimizers()[0]
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        lr_scheduler.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(4):
            s.step()
    with pytest.raises(ValueError, match="number of schedulers provided to be one more"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt)], milestones=[3])
    other = _optimizers()[0]
    with pytest.raises(ValueError, match="belong to the same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt), lr_scheduler.LinearLR(other)],
                                  milestones=[3])
