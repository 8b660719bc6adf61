"""models/xnor_lenet.py, xnor_resnet.py, xnor_alexnet.py: the binary zoo, first and last layers
real, registered by name; packed twins compute the same."""
import numpy as np
import pytest

import gradwork as gw
import gradwork.models
from gradwork import nn
from gradwork.models import get_model, list_models
from gradwork.nn.binary_packed import pack_model

BINARY = (nn.BinaryConv2d, nn.BinaryLinear)


def _weighted(model):
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


@pytest.mark.parametrize("name", ["bwn_lenet5", "xnor_lenet5", "bwn_resnet8", "xnor_resnet8",
                                  "xnor_alexnet"])
def test_first_and_last_layers_are_real_the_rest_binary(name):
    assert name in list_models()
    layers = _weighted(get_model(name, num_classes=10))
    assert not isinstance(layers[0], BINARY) and not isinstance(layers[-1], BINARY)
    assert all(isinstance(m, BINARY) for m in layers[1:-1])
    kind = nn.XNORConv2d if name.startswith("xnor") else nn.BinaryConv2d
    assert any(type(m) is kind for m in layers)


@pytest.mark.parametrize("name", ["bwn_resnet8", "xnor_resnet8"])
def test_resnet_trains_a_step_and_packs(name):
    model = get_model(name, num_classes=10)
    x = gw.randn(4, 3, 16, 16)
    loss = model(x).sum()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    np.testing.assert_allclose(pack_model(model)(x).data, model(x).data, rtol=1e-4, atol=1e-4)


def test_lenet_input_size_and_mode_are_checked():
    with pytest.raises(ValueError, match="mode"):
        gw.models.BinaryLeNet5(mode="ternary")
    assert get_model("bwn_lenet5", input_size=28)(gw.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="32×32"):
        get_model("xnor_lenet5")(gw.randn(2, 1, 28, 28))
