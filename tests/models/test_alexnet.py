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
    training_step_lowers_loss,
    zero_init,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "AdaptiveAvgPool2d", "LocalResponseNorm")


def deck_table_params(convs, fc_in, classes=1000):
    """Parameters from a table of (in, out, kernel) convs and FC 4096 → 4096 → classes."""
    n = sum(o * (i * k * k + 1) for i, o, k in convs)
    return n + 4096 * (fc_in + 1) + 4096 * (4096 + 1) + classes * (4096 + 1)


def test_alexnet_parameters_and_keys(fast_init):
    model = get_model("alexnet")
    assert count_params(model) == 61_100_840            # torchvision's published count
    assert key_shapes(model.state_dict()) == key_shapes(torch_meta(tv.AlexNet).state_dict())


def test_alexnet_matches_torchvision_and_trains(tmp_path):
    with zero_init():
        model = get_model("alexnet", num_classes=10)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    assert_matches_torch(model, torch_random(lambda: tv.AlexNet(num_classes=10)), x, tmp_path)
    training_step_lowers_loss(model, gw.tensor(x), gw.tensor(np.array([2, 5])), lr=0.01)
    with pytest.raises(ValueError, match=r"alexnet: input must be at least 63×63.*got 32×32"):
        model(gw.randn(1, 3, 32, 32))


def test_alexnet_paper_follows_the_deck(fast_init):
    model = get_model("alexnet_paper")
    convs = [(3, 96, 11), (96, 256, 5), (256, 384, 3), (384, 384, 3), (384, 256, 3)]
    assert count_params(model) == deck_table_params(convs, 6 * 6 * 256) == 62_378_344
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "LocalResponseNorm",      # CONV1 POOL1 NORM1
                     "Conv2d", "ReLU", "MaxPool2d", "LocalResponseNorm",      # CONV2 POOL2 NORM2
                     "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert [m.p for m in model.classifier if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    # the deck's shapes: 55×55×96, 27×27×96, 27×27×256, 13×13×256, 13×13×384, 6×6×256
    shapes = []
    with gw.no_grad():
        x = gw.zeros(1, 3, 227, 227)
        for m in model.features:
            x = m(x)
            shapes.append(tuple(x.shape[1:]))
    assert shapes[0] == (96, 55, 55) and shapes[2] == (96, 27, 27)
    assert shapes[4] == (256, 27, 27) and shapes[6] == (256, 13, 13)
    assert shapes[8] == (384, 13, 13) and shapes[-1] == (256, 6, 6)
    with pytest.raises(ValueError, match=r"alexnet_paper: expected a 227×227 input.*got 224×224"):
        model(gw.zeros(1, 3, 224, 224))


def test_zfnet_changes_conv1_and_widths(fast_init):
    model = get_model("zfnet", num_classes=10)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    assert (convs[0].kernel_size, convs[0].stride) == ((7, 7), (2, 2))
    assert [c.out_channels for c in convs] == [96, 256, 512, 1024, 512]
    assert count_params(model) == deck_table_params(
        [(3, 96, 7), (96, 256, 5), (256, 512, 3), (512, 1024, 3), (1024, 512, 3)], 6 * 6 * 512, 10)
    with gw.no_grad():
        assert model.features(gw.zeros(1, 3, 224, 224)).shape == (1, 512, 6, 6)
        assert model(gw.zeros(1, 3, 224, 224)).shape == (1, 10)


def test_alexnet_paper_lrn_applies_alpha_to_the_sum():
    """Krizhevsky et al. 2012 §3.3: b = a / (k + α Σ a²)^β, k=2, n=5, α=1e-4, β=0.75, α on the
    window's sum (PyTorch's layer divides alpha by n): issue 12, item 9."""
    import numpy as np
    model = gw.models.alexnet_paper(num_classes=10)
    lrn = [m for m in model.modules() if isinstance(m, gw.nn.LocalResponseNorm)]
    assert len(lrn) == 2
    a = np.random.default_rng(0).standard_normal((1, 7, 3, 3)).astype(np.float64) * 30
    sq = np.pad(a ** 2, ((0, 0), (2, 2), (0, 0), (0, 0)))
    window = sum(sq[:, i:i + 7] for i in range(5))
    expected = a / (2 + 1e-4 * window) ** 0.75
    np.testing.assert_allclose(lrn[0](gw.tensor(a)).numpy(), expected, rtol=1e-12)
