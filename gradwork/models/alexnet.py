"""AlexNet (Krizhevsky, Sutskever & Hinton 2012) and ZFNet (Zeiler & Fergus 2013).

Three layouts:
- `alexnet`: torchvision's (the "one weird trick" single-GPU variant, Krizhevsky 2014): 64, 192,
  384, 256, 256 filters, no LRN, adaptive 6×6 pooling; 61,100,840 parameters; state_dict keys
  equal torchvision's.
- `alexnet_paper`: deck 002's full spec of the 2012 network on 227×227 inputs: 96 11×11/4 →
  pool 3/2 → LRN → 256 5×5 → pool → LRN → 384 → 384 → 256 → pool → FC 4096 → 4096 → 1000 with
  dropout 0.5 before FC6 and FC7. LRN is the paper's (size 5, α 1e-4, β 0.75, k 2). As in the
  deck the two-GPU split (grouped conv2/4/5) is left out.
- `zfnet`: "AlexNet but" (deck 002): conv1 7×7 stride 2, conv3–5 with 512/1024/512 filters. The
  rest of the geometry is the ZF paper's Fig. 3 on 224×224 inputs: conv2 5×5 stride 2, 3×3/2
  pools padded by 1 in the first two stages, so the classifier sees 6×6×512.
"""
from collections import namedtuple

from .. import nn
from .inputs import check_image_batch
from .registry import register


class AlexNet(nn.Module):
    """torchvision's AlexNet: `features`, `avgpool` (adaptive 6×6), `classifier`."""

    def __init__(self, num_classes=1000, dropout=0.5, in_channels=3):
        super().__init__()
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        # conv1 11/4 p2 then three 3/2 pools: 63 is the smallest side that leaves 1×1
        check_image_batch("alexnet", x, self.in_channels, min_size=63)
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


# One row per conv stage: (out_channels, kernel, stride, padding, pool_padding or None, lrn)
Stage = namedtuple("Stage", "out_channels kernel stride padding pool_padding lrn")

_LRN_CONFIGS = {
    "alexnet_paper": dict(input_size=227, stages=[
        Stage(96, 11, 4, 0, 0, True), Stage(256, 5, 1, 2, 0, True),
        Stage(384, 3, 1, 1, None, False), Stage(384, 3, 1, 1, None, False),
        Stage(256, 3, 1, 1, 0, False)]),
    "zfnet": dict(input_size=224, stages=[
        Stage(96, 7, 2, 1, 1, True), Stage(256, 5, 2, 0, 1, True),
        Stage(512, 3, 1, 1, None, False), Stage(1024, 3, 1, 1, None, False),
        Stage(512, 3, 1, 1, 0, False)]),
}


class LRNConvNet(nn.Module):
    """The 2012–2013 ImageNet networks as one table: conv → ReLU [→ max-pool 3/2] [→ LRN] per
    stage, then dropout → FC 4096 → ReLU → dropout → FC 4096 → ReLU → FC classes. The input size
    is fixed: the first FC layer takes the 6×6 feature map the table produces."""

    def __init__(self, name, num_classes=1000, dropout=0.5, in_channels=3):
        super().__init__()
        if name not in _LRN_CONFIGS:
            raise ValueError(f"LRNConvNet: name must be one of {sorted(_LRN_CONFIGS)}, got "
                             f"{name!r}")
        self.name, self.in_channels = name, in_channels
        self.input_size = _LRN_CONFIGS[name]["input_size"]
        layers, c = [], in_channels
        for s in _LRN_CONFIGS[name]["stages"]:
            layers += [nn.Conv2d(c, s.out_channels, s.kernel, s.stride, s.padding),
                       nn.ReLU(inplace=True)]
            if s.pool_padding is not None:
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=s.pool_padding))
            if s.lrn:
                # the paper's k=2, n=5, α=1e-4, β=0.75 with α on the window's *sum*:
                # PyTorch's LocalResponseNorm divides its alpha by n, so it gets n·α
                layers.append(nn.LocalResponseNorm(size=5, alpha=5 * 1e-4, beta=0.75, k=2.0))
            c = s.out_channels
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(c * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        check_image_batch(self.name, x, self.in_channels, exact_size=self.input_size)
        x = self.features(x)        # (N, C, 6, 6)
        return self.classifier(x.flatten(1))


@register("alexnet")
def alexnet(**kwargs):
    """torchvision's AlexNet (61,100,840 parameters at 1000 classes)."""
    return AlexNet(**kwargs)


@register("alexnet_paper")
def alexnet_paper(**kwargs):
    """The 2012 AlexNet as deck 002 specifies it, with LRN, on 227×227 inputs."""
    return LRNConvNet("alexnet_paper", **kwargs)


@register("zfnet")
def zfnet(**kwargs):
    """ZFNet (Zeiler & Fergus 2013) with the deck's 512/1024/512 conv3–5, on 224×224 inputs."""
    return LRNConvNet("zfnet", **kwargs)
