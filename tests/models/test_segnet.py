import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
import gradwork.nn.functional as F
from gradwork.models import SegNet, get_model

from .zoo_helpers import (
    assert_matches_torch,
    assert_round_trip,
    count_params,
    fit,
    needs_layers,
    torch_random,
    training_step_lowers_loss,
)

pytestmark = needs_layers("Conv2d", "MaxPool2d", "MaxUnpool2d", "BatchNorm2d")


class TorchSegNet(torch.nn.Module):
    """An independent PyTorch SegNet with the same attribute names."""

    def __init__(self, num_classes, widths, depths):
        super().__init__()
        tnn = torch.nn

        def cbr(i, o):
            return [tnn.Conv2d(i, o, 3, padding=1, bias=False), tnn.BatchNorm2d(o), tnn.ReLU()]
        enc, dec, c = [], [], 3
        for w, d in zip(widths, depths):
            layers = cbr(c, w) + sum((cbr(w, w) for _ in range(d - 1)), [])
            enc.append(tnn.Sequential(*layers))
            c = w
        for i, (w, d) in enumerate(zip(widths, depths)):
            layers = sum((cbr(w, w) for _ in range(d - 1)), [])
            dec.append(tnn.Sequential(*(layers + (cbr(w, widths[i - 1]) if i else []))))
        self.encoder, self.decoder = tnn.ModuleList(enc), tnn.ModuleList(dec)
        self.pool = tnn.MaxPool2d(2, 2, return_indices=True)
        self.unpool = tnn.MaxUnpool2d(2, 2)
        self.classifier = tnn.Conv2d(widths[0], num_classes, 3, padding=1)

    def forward(self, x):
        saved = []
        for stage in self.encoder:
            x = stage(x)
            size = x.shape[2:]
            x, idx = self.pool(x)
            saved.append((idx, size))
        for stage, (idx, size) in zip(reversed(self.decoder), reversed(saved)):
            x = stage(self.unpool(x, idx, output_size=size))
        return self.classifier(x)


def test_vgg16_encoder_and_mirrored_decoder(fast_init):
    model = get_model("segnet", num_classes=11)

    def convs(m):
        return [c for c in m.modules() if isinstance(c, nn.Conv2d)]

    assert len(convs(model.encoder)) == 13                                  # VGG-16's conv layers
    assert len(convs(model.decoder)) + 1 == 13                             # + the classifier
    # §3: the encoder has 14.7 M parameters (VGG-16 without its fully connected layers)
    assert round(count_params(model.encoder) / 1e6, 1) == 14.7
    assert round(count_params(model) / 1e6, 1) == 29.4
    with gw.no_grad():
        assert model.eval()(gw.zeros(1, 3, 32, 32)).shape == (1, 11, 32, 32)
    with pytest.raises(ValueError, match=r"segnet: input must be at least 32×32.*got 16×16"):
        model(gw.zeros(1, 3, 16, 16))


@pytest.mark.parametrize("size", [(16, 16), (19, 13)])
def test_matches_an_independent_pytorch_segnet(size, tmp_path):
    model = SegNet(num_classes=4, widths=(6, 8, 10), depths=(2, 1, 2))
    ref = torch_random(lambda: TorchSegNet(4, (6, 8, 10), (2, 1, 2)))
    x = np.random.default_rng(0).standard_normal((2, 3) + size).astype(np.float32)
    assert_matches_torch(model, ref, x, tmp_path)
    assert model(gw.tensor(x)).shape == (2, 4) + size        # odd sizes unpool exactly back


def shapes_dataset(n, size=16, seed=0):
    """Noisy images with bright squares and discs on a dark background; label 1 inside."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images, masks = [], []
    for _ in range(n):
        mask = np.zeros((size, size), bool)
        for _ in range(2):
            cy, cx, r = rng.integers(3, size - 3, 2).tolist() + [int(rng.integers(2, 4))]
            if rng.random() < 0.5:
                mask |= (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
            else:
                mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        image = mask[None] * rng.uniform(0.6, 1.0, (3, 1, 1)) + rng.normal(0, 0.3, (3, size, size))
        images.append(image)
        masks.append(mask)
    return gw.tensor(np.array(images, np.float32)), gw.tensor(np.array(masks, np.int64))


def test_tiny_segnet_segments_shapes(tmp_path):
    x, y = shapes_dataset(16)
    model = SegNet(num_classes=2, widths=(8, 16), depths=(1, 1))

    def make():
        return SegNet(num_classes=2, widths=(8, 16), depths=(1, 1))

    training_step_lowers_loss(model, x, y, lr=0.01)
    fit(model, x, y, steps=40, lr=0.02)
    x_test, y_test = shapes_dataset(8, seed=1)
    with gw.no_grad():
        pred = model.eval()(x_test).argmax(1).numpy()
    accuracy = (pred == y_test.numpy()).mean()
    background = 1 - y_test.numpy().mean()                   # what "all background" would score
    assert accuracy > 0.9 and accuracy > background + 0.05, (accuracy, background)
    assert F.cross_entropy(model(x_test), y_test).item() < 0.4
    assert_round_trip(model, make, x_test, tmp_path)
