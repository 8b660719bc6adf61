import numpy as np
import pytest

import gradwork as gw
import gradwork.nn as nn
from gradwork.models import get_model

from . import torchvision_reference as tv
from .zoo_helpers import (
    assert_matches_torch,
    count_params,
    key_shapes,
    needs_layers,
    torch_meta,
    torch_random,
    zero_init,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AdaptiveAvgPool2d", "BatchNorm2d")

# torchvision's published parameter counts
PARAMS = {"vgg11": 132_863_336, "vgg13": 133_047_848, "vgg16": 138_357_544, "vgg19": 143_667_240,
          "vgg11_bn": 132_868_840, "vgg13_bn": 133_053_736, "vgg16_bn": 138_365_992,
          "vgg19_bn": 143_678_248}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_parameter_counts(name, fast_init):
    model = get_model(name)
    assert count_params(model) == PARAMS[name]
    assert key_shapes(model.state_dict()) == key_shapes(torch_meta(tv.builder(name)).state_dict())
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert len(convs) + 3 == int(name[3:5])                 # weight layers: convs + 3 FC
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)


def test_vgg16_first_layers_match_the_deck(fast_init):
    # deck 002: CONV3-64 (3·3·3)·64 = 1,728 and (3·3·64)·64 = 36,864 weights; FC 102,760,448
    model = get_model("vgg16")
    assert model.features[0].weight.detach().numpy().size == 1_728
    assert model.features[2].weight.detach().numpy().size == 36_864
    assert model.classifier[0].weight.detach().numpy().size == 102_760_448


def test_vgg11_matches_torchvision(tmp_path):
    with zero_init():
        model = get_model("vgg11", num_classes=10)
    ref = torch_random(lambda: tv.VGG(tv.vgg_make_layers(tv.VGG_CFGS["A"]), num_classes=10))
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    assert_matches_torch(model, ref, x, tmp_path)


def test_vgg16_bn_matches_torchvision(tmp_path):
    with zero_init():
        model = get_model("vgg16_bn", num_classes=10)
    ref = torch_random(lambda: tv.VGG(tv.vgg_make_layers(tv.VGG_CFGS["D"], True), num_classes=10))
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    assert_matches_torch(model, ref, x, tmp_path)


def test_key_names_follow_torchvision(fast_init):
    keys = [k for k, _ in key_shapes(get_model("vgg19_bn").state_dict())]
    assert keys[:7] == ["features.0.weight", "features.0.bias", "features.1.weight",
                        "features.1.bias", "features.1.running_mean", "features.1.running_var",
                        "features.1.num_batches_tracked"]
    assert keys[-6:] == ["classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                         "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]
    assert "features.49.weight" in keys and "features.50.running_var" in keys


def test_vgg_rejects_small_input(fast_init):
    model = get_model("vgg11", num_classes=3)
    with pytest.raises(ValueError, match=r"VGG: input must be at least 32×32.*got 16×16"):
        model(gw.randn(1, 3, 16, 16))
