"""VGG (Simonyan & Zisserman 2015, "Very deep convolutional networks for large-scale image
recognition", Table 1 configurations A, B, D, E = VGG-11, -13, -16, -19), deck 002's "VGGNet".

Stacks of 3×3 convolutions (padding 1) with 2×2 max-pools, then FC 4096 → 4096 → classes with
dropout. The `_bn` variants put BatchNorm after every conv (torchvision's). Layout, keys and
initialisation are torchvision's: conv kaiming_normal_(fan_out), Linear N(0, 0.01), biases 0.
VGG-16 has 138,357,544 parameters (the deck's "138M").
"""
from .. import nn
from ..nn import init
from .inputs import check_image_batch
from .registry import register

# Table 1: numbers are conv3 widths, "M" a 2×2 max-pool.
CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False, in_channels=3):
    """The convolutional trunk for one configuration column."""
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision's VGG: `features` (from `make_layers`), `avgpool` (adaptive 7×7),
    `classifier`. Input (N, C, H, W) with H, W ≥ 32 (five halvings)."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.in_channels = features[0].in_channels
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    init.constant_(m.weight, 1)
                    init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    init.normal_(m.weight, 0, 0.01)
                    init.constant_(m.bias, 0)

    def forward(self, x):
        check_image_batch("VGG", x, self.in_channels, min_size=32)
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(cfg, batch_norm, in_channels=3, **kwargs):
    return VGG(make_layers(CONFIGS[cfg], batch_norm, in_channels), **kwargs)


@register("vgg11")
def vgg11(**kwargs):
    """VGG-11, configuration A."""
    return _vgg("A", False, **kwargs)


@register("vgg11_bn")
def vgg11_bn(**kwargs):
    return _vgg("A", True, **kwargs)


@register("vgg13")
def vgg13(**kwargs):
    """VGG-13, configuration B."""
    return _vgg("B", False, **kwargs)


@register("vgg13_bn")
def vgg13_bn(**kwargs):
    return _vgg("B", True, **kwargs)


@register("vgg16")
def vgg16(**kwargs):
    """VGG-16, configuration D (138,357,544 parameters)."""
    return _vgg("D", False, **kwargs)


@register("vgg16_bn")
def vgg16_bn(**kwargs):
    return _vgg("D", True, **kwargs)


@register("vgg19")
def vgg19(**kwargs):
    """VGG-19, configuration E (143,667,240 parameters)."""
    return _vgg("E", False, **kwargs)


@register("vgg19_bn")
def vgg19_bn(**kwargs):
    return _vgg("E", True, **kwargs)
