import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.models import LeNet5, get_model

from .zoo_helpers import (
    assert_matches_torch,
    assert_round_trip,
    count_params,
    needs_layers,
    training_step_lowers_loss,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AvgPool2d")


@pytest.mark.parametrize("name", ["lenet5", "lenet5_28"])
def test_lenet5_has_61706_parameters(name):
    # C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850
    assert count_params(get_model(name)) == 61_706
    assert count_params(get_model(name, activation="tanh", pool="avg")) == 61_706


@pytest.mark.parametrize("name,size", [("lenet5", 32), ("lenet5_28", 28)])
def test_forward_shape_and_size_check(name, size):
    model = get_model(name, num_classes=7)
    assert model(gw.randn(2, 1, size, size)).shape == (2, 7)
    with pytest.raises(ValueError, match=rf"LeNet5: expected a {size}×{size} input.*got 30×30"):
        model(gw.randn(2, 1, 30, 30))
    with pytest.raises(ValueError, match=r"LeNet5: expected input of shape \(N, 1, H, W\)"):
        model(gw.randn(2, 3, size, size))


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="activation"):
        LeNet5(activation="sigmoid")
    with pytest.raises(ValueError, match="pool"):
        LeNet5(pool="min")


def test_matches_a_pytorch_lenet(tmp_path):
    from torch import nn
    ref = nn.Module()
    ref.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
                                 nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
                                 nn.Conv2d(16, 120, 5), nn.Tanh())
    ref.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    ref.forward = lambda x: ref.classifier(torch.flatten(ref.features(x), 1))
    x = np.random.default_rng(0).standard_normal((3, 1, 32, 32)).astype(np.float32)
    assert_matches_torch(LeNet5(activation="tanh", pool="avg"), ref, x, tmp_path)


def test_training_step_and_round_trip(tmp_path):
    model = get_model("lenet5_28")
    x, y = gw.randn(8, 1, 28, 28), gw.tensor(np.arange(8) % 10)
    training_step_lowers_loss(model, x, y)
    assert_round_trip(model, lambda: get_model("lenet5_28"), x, tmp_path)
