import numpy as np
import pytest

import gradwork as gw
from gradwork.models import DenseNet, DenseNetCIFAR, get_model

from . import torchvision_reference as tv
from .zoo_helpers import (
    assert_matches_torch,
    assert_round_trip,
    count_params,
    fit,
    key_shapes,
    needs_layers,
    torch_meta,
    torch_random,
    training_step_lowers_loss,
    zero_init,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d")

PUBLISHED = {"densenet121": 7_978_856, "densenet169": 14_149_480, "densenet201": 20_013_928}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameters_and_keys_equal_torchvision(name, fast_init):
    model = get_model(name)
    assert count_params(model) == PUBLISHED[name]
    assert key_shapes(model.state_dict()) == key_shapes(torch_meta(tv.builder(name)).state_dict())


def test_densenet121_matches_torchvision(tmp_path):
    with zero_init():
        model = get_model("densenet121", num_classes=10)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    assert_matches_torch(model, torch_random(tv.builder("densenet121", num_classes=10)), x,
                         tmp_path)


def test_reduced_densenet_trains_round_trips_and_checks_input(tmp_path):
    # torchvision's DenseNet(growth_rate, block_config, num_init_features) at a small size

    def make():
        return DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, num_classes=3)

    model = make()
    # each layer adds k = 4 maps: block 1 has 8 + 2·4 = 16, the transition halves to 8
    assert model.features.transition1.conv.weight.shape == (8, 16, 1, 1)
    assert model.classifier.in_features == 8 + 2 * 4
    x, y = gw.randn(4, 3, 16, 16), gw.tensor(np.array([0, 1, 2, 0]))
    training_step_lowers_loss(model, x, y)
    assert_round_trip(model, make, x, tmp_path)
    with pytest.raises(ValueError, match=r"DenseNet: input must be at least 29×29.*got 28×28"):
        get_model("densenet121")(gw.randn(1, 3, 28, 28))


def test_densenet_bc_100_12_follows_the_paper(fast_init):
    model = get_model("densenet_bc_100_12")
    assert round(count_params(model) / 1e6, 1) == 0.8                     # Table 2
    blocks = [model.features.denseblock1, model.features.denseblock2, model.features.denseblock3]
    assert [len(b) for b in blocks] == [16, 16, 16]                        # (100 − 4) / 6
    assert model.features.conv0.out_channels == 24                         # 2k
    # 24 + 16·12 = 216 → θ = 0.5 → 108 → 300 → 150 → 342 maps at the end
    assert model.features.transition1.conv.out_channels == 108
    assert model.classifier.in_features == 342
    with pytest.raises(ValueError, match="depth must be 6n \\+ 4"):
        DenseNetCIFAR(depth=99)


def test_tiny_densenet_bc_overfits_64_random_images():
    x = gw.randn(64, 3, 8, 8)
    y = gw.tensor(np.random.default_rng(0).integers(0, 10, 64))
    model = DenseNetCIFAR(depth=10, growth_rate=8)
    losses = fit(model, x, y, steps=30, lr=0.01)
    assert losses[-1] < 0.3 * losses[0], losses
