import numpy as np
import pytest

import gradwork as gw
from gradwork.models import get_model

from . import torchvision_reference as tv
from .zoo_helpers import (
    assert_matches_torch,
    count_macs,
    count_params,
    key_shapes,
    needs_layers,
    torch_meta,
    torch_random,
    zero_init,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AdaptiveAvgPool2d", "BatchNorm2d")

# torchvision's published parameter counts and GFLOPS at 224×224
PUBLISHED = {"resnext50_32x4d": (25_028_904, 4.23), "resnext101_32x8d": (88_791_336, 16.41),
             "resnext101_64x4d": (83_455_272, 15.46)}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameters_keys_and_multiply_adds(name, fast_init):
    model = get_model(name)
    params, gflops = PUBLISHED[name]
    assert count_params(model) == params
    assert key_shapes(model.state_dict()) == key_shapes(torch_meta(tv.builder(name)).state_dict())
    conv, linear = count_macs(model, gw.zeros(1, 3, 32, 32))   # ×49: see test_resnet.macs_at_224
    assert (49 * conv + linear) / 1e9 == pytest.approx(gflops, abs=0.006)


def test_cardinality_is_the_grouped_conv(fast_init):
    # Fig. 3c: conv2 of the first stage is 128 → 128 in 32 groups of 4 channels
    block = get_model("resnext50_32x4d").layer1[0]
    assert (block.conv1.out_channels, block.conv2.groups) == (128, 32)
    assert block.conv3.out_channels == 256
    assert block.conv2.weight.shape == (128, 4, 3, 3)


def test_resnext50_matches_torchvision(tmp_path):
    with zero_init():
        model = get_model("resnext50_32x4d", num_classes=10)
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    ref = torch_random(tv.builder("resnext50_32x4d", num_classes=10))
    assert_matches_torch(model, ref, x, tmp_path)
