"""ResNeXt (Xie, Girshick, Dollár, Tu & He 2017, "Aggregated residual transformations for deep
neural networks", Table 1 and Fig. 3c), deck 004's "ResNext".

A ResNeXt block aggregates C parallel transformations of width d ("C×d"), y = x + Σᵢ Tᵢ(x),
which is exactly a Bottleneck whose 3×3 conv is grouped into C groups: the 1×1 convs widen to
C·d·(planes/64) channels and the 3×3 conv has `groups = C`. So the constructors are ResNet's
(resnet.py) with `groups` and `width_per_group`; layout and keys are torchvision's.
ResNeXt-50 32×4d has 25,028,904 parameters (about ResNet-50's, as the paper designs it).
"""
from .registry import register
from .resnet import Bottleneck, ResNet

# name → (blocks per stage, cardinality C, bottleneck width d)
CONFIGS = {
    "resnext50_32x4d": ([3, 4, 6, 3], 32, 4),
    "resnext101_32x8d": ([3, 4, 23, 3], 32, 8),
    "resnext101_64x4d": ([3, 4, 23, 3], 64, 4),
}


def _resnext(name, **kwargs):
    layers, cardinality, width = CONFIGS[name]
    return ResNet(Bottleneck, layers, groups=cardinality, width_per_group=width, **kwargs)


@register("resnext50_32x4d")
def resnext50_32x4d(**kwargs):
    """ResNeXt-50 (32×4d), Table 1 right column."""
    return _resnext("resnext50_32x4d", **kwargs)


@register("resnext101_32x8d")
def resnext101_32x8d(**kwargs):
    """ResNeXt-101 (32×8d), the paper's Table 5 ImageNet-5K model."""
    return _resnext("resnext101_32x8d", **kwargs)


@register("resnext101_64x4d")
def resnext101_64x4d(**kwargs):
    """ResNeXt-101 (64×4d), Table 5 (deck 004's best: 20.4% top-1)."""
    return _resnext("resnext101_64x4d", **kwargs)
