"""Binary CIFAR ResNets (Rastegari et al. 2016, §4 with He et al. 2016's CIFAR ResNet-(6n+2)),
deck 004: the first convolution and the classifier stay real-valued; every 3×3 convolution of
the residual blocks is binary; the shortcuts are the parameter-free option A.

    bwn:   x → BinConv → BN → ReLU → BinConv → BN → (+ shortcut) → ReLU       (binary weights)
    xnor:  x → BN → sign → XNORConv → BN → sign → XNORConv → (+ shortcut)     (Fig. 3 order)
    float: the bwn layout with real convolutions (the twin that benchmarks compare against)
"""
from .. import nn
from ..nn import init
from .cifar_resnet import ZeroPadShortcut
from .inputs import check_image_batch
from .registry import register

_MODES = ("float", "bwn", "xnor")


class BinaryBasicBlock(nn.Module):
    """A basic block with two binary 3×3 convolutions: `conv1`, `bn1`, `conv2`, `bn2`,
    `downsample` (None or the option-A shortcut)."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, mode="xnor"):
        super().__init__()
        self.mode, self.downsample = mode, downsample
        conv = {"float": nn.Conv2d, "bwn": nn.BinaryConv2d, "xnor": nn.XNORConv2d}[mode]
        self.bn1 = nn.BatchNorm2d(inplanes if mode == "xnor" else planes)
        self.conv1 = conv(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv(planes, planes, 3, padding=1, bias=False)
        self.relu = nn.ReLU()

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        if self.mode == "xnor":         # BN → BinActiv → BinConv (the sign is in XNORConv2d)
            return self.conv2(self.bn2(self.conv1(self.bn1(x)))) + identity
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class BinaryCifarResNet(nn.Module):
    """ResNet-(6n+2) for 32×32 inputs with binary blocks: `conv1`, `bn1` (real stem),
    `layer1..3`, `bn_out` (xnor only), `fc` (real). mode: "bwn", "xnor" or "float"."""

    def __init__(self, depth, mode="xnor", num_classes=10, in_channels=3, widths=(16, 32, 64)):
        super().__init__()
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(f"BinaryCifarResNet: depth must be 6n + 2 with n ≥ 1, got "
                             f"{depth!r}")
        if mode not in _MODES:
            raise ValueError(f"BinaryCifarResNet: mode must be one of {_MODES}, got {mode!r}")
        n = (depth - 2) // 6
        self.mode, self.in_channels, self.name = mode, in_channels, f"{mode}_resnet{depth}"
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        layers, inplanes = [], widths[0]
        for i, planes in enumerate(widths):
            stride = 1 if i == 0 else 2
            blocks = []
            for b in range(n):
                down = ZeroPadShortcut(inplanes, planes, stride) if b == 0 and (
                    stride != 1 or inplanes != planes) else None
                blocks.append(BinaryBasicBlock(inplanes, planes, stride if b == 0 else 1,
                                               down, mode))
                inplanes = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.bn_out = nn.BatchNorm2d(widths[2]) if mode == "xnor" else nn.Identity()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[2], num_classes)
        for m in self.modules():
            if type(m) is nn.Conv2d:
                init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")

    def forward(self, x):
        check_image_batch(self.name, x, self.in_channels, min_size=4)
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.relu(self.bn_out(x))
        return self.fc(self.avgpool(x).flatten(1))


def _register(mode, depth):
    def build(**kwargs):
        return BinaryCifarResNet(depth, mode, **kwargs)
    build.__name__ = build.__qualname__ = f"{mode}_resnet{depth}"
    build.__doc__ = f"CIFAR ResNet-{depth} with {mode.upper()} residual blocks (first/last real)."
    return register(build.__name__)(build)


bwn_resnet8, xnor_resnet8 = _register("bwn", 8), _register("xnor", 8)
bwn_resnet20, xnor_resnet20 = _register("bwn", 20), _register("xnor", 20)
