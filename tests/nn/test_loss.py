"""Loss modules pass their options to the functional losses: compared with torch.nn's."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn
from tests.helpers import check_op

rng = np.random.default_rng(0)
Y = np.array([0, 2, 1, 2, 3])
W = np.array([0.5, 1.0, 2.0, 0.1])


def class_loss(name, **kwargs):
    """(gradwork fn, torch fn) for logits (5, 4) against the class targets Y."""
    gw_kwargs = {k: gw.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()}
    mine, ref = getattr(nn, name)(**gw_kwargs), getattr(torch.nn, name)(**t_kwargs)
    return (lambda x: mine(x, gw.tensor(Y)), lambda x: ref(x, torch.from_numpy(Y)))


@pytest.mark.parametrize("name, kwargs", [
    ("CrossEntropyLoss", {}),
    ("CrossEntropyLoss", {"weight": W, "reduction": "sum"}),
    ("CrossEntropyLoss", {"ignore_index": 2, "label_smoothing": 0.1}),
    ("CrossEntropyLoss", {"weight": W, "label_smoothing": 0.2, "reduction": "none"}),
    ("NLLLoss", {"weight": W, "ignore_index": 0}),
    ("NLLLoss", {"reduction": "none"}),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W}),
    ("MultiMarginLoss", {"reduction": "sum"}),
])
def test_class_losses(name, kwargs):
    check_op(*class_loss(name, **kwargs), shapes=[(5, 4)])


@pytest.mark.parametrize("name, kwargs", [
    ("MSELoss", {"reduction": "sum"}), ("MSELoss", {}),
    ("L1Loss", {"reduction": "none"}),
    ("HuberLoss", {"delta": 0.5}), ("HuberLoss", {"delta": 2.0, "reduction": "sum"}),
])
def test_regression_losses(name, kwargs):
    target = rng.standard_normal((4, 3))
    mine, ref = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    check_op(lambda x: mine(x, gw.tensor(target)), lambda x: ref(x, torch.from_numpy(target)),
             shapes=[(4, 3)])


@pytest.mark.parametrize("kwargs", [{}, {"weight": np.array([1.0, 0.5, 2.0])},
                                    {"pos_weight": np.array([3.0, 1.0, 0.2]),
                                     "reduction": "sum"}])
def test_bce_with_logits(kwargs):
    target = (rng.random((4, 3)) > 0.5).astype(np.float64)
    mine = nn.BCEWithLogitsLoss(**{k: gw.tensor(v) if isinstance(v, np.ndarray) else v
                                   for k, v in kwargs.items()})
    ref = torch.nn.BCEWithLogitsLoss(**{k: torch.from_numpy(v) if isinstance(v, np.ndarray)
                                        else v for k, v in kwargs.items()})
    check_op(lambda x: mine(x, gw.tensor(target)), lambda x: ref(x, torch.from_numpy(target)),
             shapes=[(4, 3)])


@pytest.mark.parametrize("kwargs", [{}, {"weight": np.array([1.0, 0.5, 2.0]),
                                         "reduction": "none"}])
def test_bce(kwargs):
    target = rng.random((4, 3))
    probs = [rng.uniform(0.05, 0.95, (4, 3))]
    mine = nn.BCELoss(**{k: gw.tensor(v) if isinstance(v, np.ndarray) else v
                         for k, v in kwargs.items()})
    ref = torch.nn.BCELoss(**{k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                              for k, v in kwargs.items()})
    check_op(lambda x: mine(x, gw.tensor(target)), lambda x: ref(x, torch.from_numpy(target)),
             arrays=probs)


def test_weights_are_buffers_as_in_torch():
    mine = nn.CrossEntropyLoss(weight=gw.tensor(W))
    ref = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(W))
    assert list(mine.state_dict()) == list(ref.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=gw.ones(3)).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3)).state_dict())
    assert list(nn.MSELoss().state_dict()) == []


def test_bad_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="average")
