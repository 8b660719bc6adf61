"""CIFAR-10 ResNets and plain nets (He et al. 2016, "Deep residual learning for image
recognition", §4.2 and Table 6): ResNet-20/32/44/56/110 and plain-20/32/44/56/110.

    conv3×3 16 → 3 stages of n BasicBlocks at 32×32, 16×16, 8×8 with 16, 32, 64 filters
    → global average pool → fc 10;  depth = 6n + 2

The first block of stages 2 and 3 subsamples with stride 2. Shortcuts follow the paper's
option A by default (§4.2: "we use identity shortcuts in all cases"): where the shape changes,
the identity is subsampled (x[:, :, ::2, ::2]) and zero-padded on channels, so shortcuts add no
parameters (ResNet-20 has 0.27 M, ResNet-110 1.7 M, as Table 6). `shortcut='B'` uses a
1×1 conv + BN projection there instead. Plain nets drop the shortcuts. Initialisation: He et
al. 2015 (kaiming_normal_, fan_in), BN weight 1 bias 0. `resnet8` (n = 1) is a tiny member for
tests and quick experiments.
"""
from .. import nn
from ..nn import functional as F
from ..nn import init
from .inputs import check_image_batch
from .registry import register_residual_and_plain
from .resnet import BasicBlock, PlainBasicBlock, conv1x1


class ZeroPadShortcut(nn.Module):
    """Option A: subsample the identity by `stride` and zero-pad it to `out_channels`."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.stride, self.extra = stride, out_channels - in_channels

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        lo = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, lo, self.extra - lo))   # pad dim 1 (channels)


class CifarResNet(nn.Module):
    """ResNet-(6n+2) for 32×32 inputs: `conv1`, `bn1`, `layer1..3`, `fc`."""

    def __init__(self, depth, num_classes=10, shortcut="A", plain=False, in_channels=3,
                 widths=(16, 32, 64)):
        super().__init__()
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CifarResNet: depth must be 6n + 2 with n ≥ 1 (8, 20, 32, ...), "
                             f"got {depth!r}")
        if shortcut not in ("A", "B"):
            raise ValueError(f"CifarResNet: shortcut must be 'A' or 'B', got {shortcut!r}")
        if len(widths) != 3:
            raise ValueError(f"CifarResNet: widths must give 3 stage widths, got {widths!r}")
        n = (depth - 2) // 6
        self.depth, self.shortcut, self.in_channels = depth, shortcut, in_channels
        self.name = f"{'plain' if plain else 'resnet'}{depth}"
        block = PlainBasicBlock if plain else BasicBlock
        self.conv1 = nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.inplanes = widths[0]
        self.layer1 = self._make_layer(block, widths[0], n, stride=1)
        self.layer2 = self._make_layer(block, widths[1], n, stride=2)
        self.layer3 = self._make_layer(block, widths[2], n, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[2], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                init.constant_(m.weight, 1)
                init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if block.residual and (stride != 1 or self.inplanes != planes):
            if self.shortcut == "A":
                downsample = ZeroPadShortcut(self.inplanes, planes, stride)
            else:
                downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride),
                                           nn.BatchNorm2d(planes))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [block(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        # two stride-2 stages: a side of 4 is the least that keeps them meaningful
        check_image_batch(self.name, x, self.in_channels, min_size=4)
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _register_depth(depth):
    return register_residual_and_plain(
        depth, CifarResNet, "CIFAR ResNet-{depth} (He et al. 2016, §4.2), n = {n}.",
        "CIFAR plain-{depth}: ResNet-{depth} without shortcuts (§4.2, Fig. 6).")


resnet8, plain8 = _register_depth(8)
resnet20, plain20 = _register_depth(20)
resnet32, plain32 = _register_depth(32)
resnet44, plain44 = _register_depth(44)
resnet56, plain56 = _register_depth(56)
resnet110, plain110 = _register_depth(110)
