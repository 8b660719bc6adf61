"""Binary AlexNets as the XNOR-Net paper builds them (Rastegari et al. 2016, §4.1 and its
released Torch model), deck 004: AlexNet's 96-256-384-384-256 filters on 224×224 inputs,
BatchNorm throughout, the first convolution and the last dense layer real-valued.

    xnor:  conv1 11/4 → BN → ReLU → pool
           → [BN → sign → XNORConv 5×5 256 → pool] → [BN → sign → XNORConv 3×3 384]
           → [BN → sign → XNORConv 3×3 384] → [BN → sign → XNORConv 3×3 256 → pool]
           → BN → sign → XNOR fc6 4096 → BN → sign → XNOR fc7 4096 → BN → ReLU → fc8
    bwn:   the same stages as conv → BN → ReLU (→ pool) with binary weights, fc6/fc7 binary
    float: the bwn layout with real layers (the twin that benchmarks compare against)

The deck's accuracy figures (56.7 % → 53.8 % BWN → 44.2 % XNOR top-1) are ImageNet's; this
zoo trains on what gradwork can load (the classifier's size is `num_classes`).
"""
from .. import nn
from .inputs import check_image_batch
from .registry import register

# (out_channels, kernel, padding, pool after)
_STAGES = [(256, 5, 2, True), (384, 3, 1, False), (384, 3, 1, False), (256, 3, 1, True)]


class BinaryAlexNet(nn.Module):
    """`features` (the conv stages), `classifier` (fc6, fc7 binary; fc8 real)."""

    def __init__(self, mode="xnor", num_classes=1000, in_channels=3, dropout=0.5):
        super().__init__()
        if mode not in ("float", "bwn", "xnor"):
            raise ValueError(f"BinaryAlexNet: mode must be 'float', 'bwn' or 'xnor', got "
                             f"{mode!r}")
        self.mode, self.in_channels, self.input_size = mode, in_channels, 224
        layers = [nn.Conv2d(in_channels, 96, 11, stride=4, padding=2), nn.BatchNorm2d(96),
                  nn.ReLU(), nn.MaxPool2d(3, 2)]
        c = 96
        for out, k, p, pool in _STAGES:
            layers += self._stage(c, out, k, p, pool)
            c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(*self._dense(c * 6 * 6, 4096, dropout),
                                        *self._dense(4096, 4096, dropout),
                                        *([nn.BatchNorm1d(4096)] if mode == "xnor" else []),
                                        nn.ReLU() if mode == "xnor" else nn.Identity(),
                                        nn.Linear(4096, num_classes))

    def _stage(self, c, out, k, p, pool):
        maxpool = nn.MaxPool2d(3, 2) if pool else None
        if self.mode == "xnor":
            return [nn.XNORBlock(c, out, k, padding=p, pool=maxpool)]
        conv = nn.BinaryConv2d if self.mode == "bwn" else nn.Conv2d
        return [conv(c, out, k, padding=p, bias=False), nn.BatchNorm2d(out), nn.ReLU()] + \
            ([maxpool] if pool else [])

    def _dense(self, n_in, n_out, dropout):
        if self.mode == "xnor":
            return [nn.BatchNorm1d(n_in), nn.XNORLinear(n_in, n_out, bias=False)]
        dense = nn.BinaryLinear if self.mode == "bwn" else nn.Linear
        return [nn.Dropout(dropout), dense(n_in, n_out), nn.ReLU()]

    def forward(self, x):
        check_image_batch(f"{self.mode}_alexnet", x, self.in_channels, exact_size=224)
        return self.classifier(self.features(x).flatten(1))      # features: (N, 256, 6, 6)


@register("bwn_alexnet")
def bwn_alexnet(**kwargs):
    """AlexNet with binary weights (BWN) except conv1 and fc8, 224×224 inputs."""
    return BinaryAlexNet("bwn", **kwargs)


@register("xnor_alexnet")
def xnor_alexnet(**kwargs):
    """XNOR-Net AlexNet: binary weights and inputs except conv1 and fc8, 224×224 inputs."""
    return BinaryAlexNet("xnor", **kwargs)
