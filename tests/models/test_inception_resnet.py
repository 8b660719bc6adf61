import numpy as np
import pytest

import gradwork as gw
import gradwork.nn as nn
from gradwork.models import get_model
from gradwork.models.inception_resnet import Block35

from .zoo_helpers import assert_round_trip, count_params, needs_layers, training_step_lowers_loss

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d")


def test_structure_and_parameters(fast_init):
    model = get_model("inception_resnet_v2")
    # the authors' released model (timm's port: 55.84 M parameters)
    assert count_params(model) == 55_843_464
    assert [len(model.repeat), len(model.repeat_1), len(model.repeat_2)] == [10, 20, 9]
    assert [model.repeat[0].scale, model.repeat_1[0].scale, model.repeat_2[0].scale] == \
        [0.17, 0.10, 0.20]
    assert model.block8.relu is None


def test_forward_at_the_smallest_size(fast_init):
    model = get_model("inception_resnet_v2", num_classes=5).eval()
    with gw.no_grad():
        assert model(gw.zeros(1, 3, 75, 75)).shape == (1, 5)
    with pytest.raises(ValueError, match=r"inception_resnet_v2: input must be at least 75×75.*"
                                         r"got 74×74"):
        model(gw.zeros(1, 3, 74, 74))


def test_residual_block_is_scaled_sum():
    # y = ReLU(x + s·conv1×1([branches])): with the projection zeroed, y = ReLU(x)
    block = Block35(scale=0.17).eval()
    x = gw.randn(2, 320, 5, 5)
    with gw.no_grad():
        y = block(x).numpy()
        branches = gw.cat([block.branch0(x), block.branch1(x), block.branch2(x)], 1)
        expected = np.maximum(x.numpy() + 0.17 * block.conv2d(branches).numpy(), 0)
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
        nn.init.zeros_(block.conv2d.weight)
        nn.init.zeros_(block.conv2d.bias)
        np.testing.assert_array_equal(block(x).numpy(), np.maximum(x.numpy(), 0))


def test_block_trains_and_round_trips(tmp_path):
    block = Block35(scale=0.17)
    x = gw.randn(2, 320, 5, 5)
    target = gw.randn(2, 320, 5, 5)
    training_step_lowers_loss(block, x, target, lr=0.01, loss_fn=nn.functional.mse_loss)
    assert_round_trip(block, lambda: Block35(scale=0.17), x, tmp_path)
