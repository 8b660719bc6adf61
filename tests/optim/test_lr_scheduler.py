"""Schedules: lr trajectories equal to PyTorch's, and state dicts that resume exactly."""
import json

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import SGD, lr_scheduler

LRS = (0.1, 0.03)


def optimizers():
    gw_opt = SGD([{"params": [gw.nn.Parameter(np.zeros(2))], "lr": lr} for lr in LRS])
    torch_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr}
                                 for lr in LRS])
    return gw_opt, torch_opt


class Warmup:
    """A callable object: its attributes go into LambdaLR's state dict."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, e):
        return min(1.0, (e + 1) / self.epochs)


SCHEDULES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [3, 10, 10, 20], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95 ** e}),
    ("LambdaLR", {"lr_lambda": [lambda e: 1 / (e + 1), Warmup(5)]}),
]


def schedulers(name, kwargs):
    gw_opt, torch_opt = optimizers()
    return (getattr(lr_scheduler, name)(gw_opt, **kwargs),
            getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs))


def advance(sched, metric=None):
    sched.optimizer.step()
    sched.step() if metric is None else sched.step(metric)


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_trajectory_matches_torch(name, kwargs):
    mine, ref = schedulers(name, kwargs)
    assert mine.get_last_lr() == ref.get_last_lr()
    for epoch in range(30):
        advance(mine)
        advance(ref)
        assert mine.last_epoch == ref.last_epoch == epoch + 1
        assert mine.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-13, abs=1e-16)
        assert [g["lr"] for g in mine.optimizer.param_groups] == mine.get_last_lr()
    assert [g["initial_lr"] for g in mine.optimizer.param_groups] == list(LRS)


@pytest.mark.parametrize("name, kwargs", SCHEDULES)
def test_state_dict_resumes_the_trajectory(name, kwargs):
    ref, _ = schedulers(name, kwargs)
    expected = []
    for _ in range(30):
        advance(ref)
        expected.append(ref.get_last_lr())

    sched, _ = schedulers(name, kwargs)
    for _ in range(12):
        advance(sched)
    opt_state = json.loads(json.dumps(sched.optimizer.state_dict()))
    sched_state = json.loads(json.dumps(sched.state_dict()))

    opt2, _ = optimizers()
    sched2 = getattr(lr_scheduler, name)(opt2, **kwargs)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    got = [None] * 12
    for _ in range(18):
        advance(sched2)
        got.append(sched2.get_last_lr())
    assert got[12:] == expected[12:]


def test_lambda_lr_saves_callable_objects_but_not_functions():
    gw_opt, _ = optimizers()
    warm = Warmup(5)
    sched = lr_scheduler.LambdaLR(gw_opt, [lambda e: 1.0, warm])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"epochs": 5}]
    warm.epochs = 9
    sched.load_state_dict(state)
    assert warm.epochs == 5


PLATEAU = [
    {},
    {"patience": 2},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.02, "patience": 0, "cooldown": 2},
    {"patience": 1, "cooldown": 3, "min_lr": [0.01, 0.001], "factor": 0.3},
    {"patience": 0, "min_lr": 0.02, "eps": 1e-3},
]


def metric_sequence(n=40, seed=0):
    # Falls, then plateaus with noise: the validation error the decks' schedule watches.
    rng = np.random.default_rng(seed)
    return [float(max(1.0 - 0.1 * t, 0.3) + 0.02 * rng.standard_normal()) for t in range(n)]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_on_plateau_matches_torch(kwargs):
    gw_opt, torch_opt = optimizers()
    mine = lr_scheduler.ReduceLROnPlateau(gw_opt, **kwargs)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **kwargs)
    reductions = 0
    for m in metric_sequence():
        before = mine.get_last_lr()
        advance(mine, m)
        advance(ref, m)
        reductions += mine.get_last_lr() != before
        assert mine.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-13)
        assert (mine.best, mine.num_bad_epochs, mine.cooldown_counter) == \
               (ref.best, ref.num_bad_epochs, ref.cooldown_counter)
    assert reductions > 0


def test_reduce_on_plateau_divides_by_ten_after_patience():
    gw_opt, _ = optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(gw_opt, patience=2)
    for m in [1.0, 0.5, 0.5, 0.5]:
        advance(sched, m)
    assert sched.get_last_lr() == list(LRS)
    advance(sched, 0.5)           # third epoch without improvement > patience
    assert sched.get_last_lr() == pytest.approx([lr / 10 for lr in LRS])


def test_reduce_on_plateau_state_dict_resumes():
    metrics = metric_sequence()
    gw_opt, _ = optimizers()
    ref = lr_scheduler.ReduceLROnPlateau(gw_opt, patience=1, cooldown=1)
    expected = []
    for m in metrics:
        advance(ref, m)
        expected.append(ref.get_last_lr())
    gw_opt, _ = optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(gw_opt, patience=1, cooldown=1)
    for m in metrics[:15]:
        advance(sched, m)
    opt_state = json.loads(json.dumps(gw_opt.state_dict()))
    state = json.loads(json.dumps(sched.state_dict()))
    opt2, _ = optimizers()
    sched2 = lr_scheduler.ReduceLROnPlateau(opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(state)
    for m, want in zip(metrics[15:], expected[15:]):
        advance(sched2, m)
        assert sched2.get_last_lr() == want


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2.5]), ValueError, "milestones"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "2 lr_lambdas"),
    (lambda o: lr_scheduler.ExponentialLR(o, 0.9, last_epoch=3), KeyError, "initial_lr"),
    (lambda o: lr_scheduler.ExponentialLR("sgd", 0.9), TypeError, "Optimizer"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), ValueError,
     "threshold_mode"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "min_lrs"),
])
def test_bad_arguments_are_rejected(make, error, match):
    gw_opt, _ = optimizers()
    with pytest.raises(error, match=match):
        make(gw_opt)
