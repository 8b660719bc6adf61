import numpy as np
import pytest

import gradwork as gw
from gradwork.models import CifarResNet, get_model
from gradwork.models.cifar_resnet import ZeroPadShortcut

from .zoo_helpers import (
    assert_round_trip,
    count_params,
    fit,
    needs_layers,
    training_step_lowers_loss,
)

pytestmark = needs_layers("Conv2d", "AdaptiveAvgPool2d", "BatchNorm2d")

# He et al. Table 6: parameters of the CIFAR-10 ResNets (option A shortcuts)
TABLE_6 = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}


@pytest.mark.parametrize("depth", sorted(TABLE_6))
def test_parameter_counts_follow_table_6(depth, fast_init):
    n = count_params(get_model(f"resnet{depth}"))
    digits = 1 if depth == 110 else 2
    assert round(n / 1e6, digits) == TABLE_6[depth]
    # option A shortcuts are parameter-free: the plain net has exactly as many parameters
    assert count_params(get_model(f"plain{depth}")) == n


def test_resnet20_exact_count_and_structure(fast_init):
    model = get_model("resnet20")
    # conv1 432 + BN 32; 3 stages of 3 blocks (two 3×3 convs + BN each); fc 650
    assert count_params(model) == 269_722
    assert [len(s) for s in (model.layer1, model.layer2, model.layer3)] == [3, 3, 3]
    assert [model.layer3[0].conv1.stride, model.layer1[0].conv1.stride] == [(2, 2), (1, 1)]
    option_b = get_model("resnet20", shortcut="B")
    assert count_params(option_b) == 269_722 + (16 * 32 + 64) + (32 * 64 + 128)


def test_zero_pad_shortcut_is_subsampled_identity_plus_zero_channels():
    x = gw.randn(2, 16, 8, 8)
    y = ZeroPadShortcut(16, 32, 2)(x).numpy()
    assert y.shape == (2, 32, 4, 4)
    np.testing.assert_array_equal(y[:, 8:24], x.numpy()[:, :, ::2, ::2])
    assert not y[:, :8].any() and not y[:, 24:].any()


def test_forward_shapes_and_bad_arguments():
    model = get_model("resnet8", num_classes=7).eval()
    assert model(gw.randn(2, 3, 32, 32)).shape == (2, 7)
    with pytest.raises(ValueError, match="depth must be 6n \\+ 2"):
        CifarResNet(21)
    with pytest.raises(ValueError, match="shortcut must be 'A' or 'B'"):
        CifarResNet(20, shortcut="C")
    with pytest.raises(ValueError, match=r"resnet8: input must be at least 4×4.*got 2×2"):
        model(gw.randn(1, 3, 2, 2))


def test_resnet8_overfits_64_random_images(tmp_path):
    x = gw.randn(64, 3, 8, 8)
    y = gw.tensor(np.random.default_rng(0).integers(0, 10, 64))
    model = get_model("resnet8")
    training_step_lowers_loss(model, x[:8], y[:8], lr=0.01)
    losses = fit(model, x, y, steps=25, lr=0.01)
    assert losses[-1] < 0.3 * losses[0], losses
    assert_round_trip(model, lambda: get_model("resnet8"), x[:4], tmp_path)


def test_plain8_and_option_b_train():
    x, y = gw.randn(8, 3, 8, 8), gw.tensor(np.arange(8) % 10)
    training_step_lowers_loss(get_model("plain8"), x, y, lr=0.01)
    training_step_lowers_loss(get_model("resnet8", shortcut="B"), x, y, lr=0.01)
