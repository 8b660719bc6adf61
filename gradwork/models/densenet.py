"""DenseNet (Huang, Liu, van der Maaten & Weinberger 2017, "Densely connected convolutional
networks", Table 1 (ImageNet) and §3–4 (CIFAR DenseNet-BC)), decks 000, 001 and 004.

Inside a dense block layer ℓ sees the concatenation of every earlier feature map,
x_ℓ = H_ℓ([x_0, x_1, …, x_{ℓ−1}]), and adds k ("growth rate") maps, so the ℓ-th layer has
k_0 + (ℓ−1)k input channels. H_ℓ is BN → ReLU → 1×1 conv (4k) → BN → ReLU → 3×3 conv (k)
(the "B" bottleneck). Transitions between blocks: BN → ReLU → 1×1 conv → 2×2 avg-pool, with
compression θ ("C": θ = 0.5). The ImageNet models (121/169/201: 7,978,856 / 14,149,480 /
20,013,928 parameters) have torchvision's layout, keys and initialisation; `DenseNetCIFAR` is
the paper's 3-block CIFAR DenseNet-BC (L = 100, k = 12: 0.8 M parameters, Table 2).
"""
from collections import OrderedDict

from .. import nn
from ..nn import functional as F
from ..nn import init
from ..ops import cat
from .inputs import check_image_batch
from .registry import register


class _DenseLayer(nn.Module):
    """H_ℓ: BN → ReLU → conv1×1 (bn_size·k) → BN → ReLU → conv3×3 (k) [→ dropout]."""

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, features):
        x = cat(features, 1)                          # [x_0, …, x_{ℓ−1}] on channels
        x = self.conv1(self.relu1(self.norm1(x)))
        x = self.conv2(self.relu2(self.norm2(x)))
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x


class _DenseBlock(nn.ModuleDict):
    """`num_layers` dense layers; returns the concatenation of the input and every new map."""

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate):
        super().__init__()
        for i in range(num_layers):
            self[f"denselayer{i + 1}"] = _DenseLayer(num_input_features + i * growth_rate,
                                                     growth_rate, bn_size, drop_rate)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    """BN → ReLU → conv1×1 → avg-pool 2×2."""

    def __init__(self, num_input_features, num_output_features):
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(num_input_features)), ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(num_input_features, num_output_features, kernel_size=1,
                               stride=1, bias=False)),
            ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
        ]))


def _dense_trunk(features, num_features, block_config, growth_rate, bn_size, drop_rate,
                 compression):
    """Add dense blocks and transitions (and the final BN `norm5`) to `features`; returns the
    channel count at the end."""
    for i, num_layers in enumerate(block_config):
        features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, num_features, bn_size,
                                                              growth_rate, drop_rate))
        num_features += num_layers * growth_rate
        if i != len(block_config) - 1:
            out = int(num_features * compression)
            features.add_module(f"transition{i + 1}", _Transition(num_features, out))
            num_features = out
    features.add_module("norm5", nn.BatchNorm2d(num_features))
    return num_features


def _init_weights(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            init.kaiming_normal_(m.weight)
        elif isinstance(m, nn.BatchNorm2d):
            init.constant_(m.weight, 1)
            init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            init.constant_(m.bias, 0)


class DenseNet(nn.Module):
    """torchvision's ImageNet DenseNet-BC: conv0 7×7/2 → pool0 3/2 → 4 dense blocks with 3
    transitions (θ = 0.5) → norm5 → ReLU → global avg-pool → classifier. H, W ≥ 29."""

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, drop_rate=0, num_classes=1000, memory_efficient=False,
                 in_channels=3):
        super().__init__()
        self.in_channels = in_channels
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=7, stride=2,
                                padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = _dense_trunk(self.features, num_init_features, block_config, growth_rate,
                                    bn_size, drop_rate, compression=0.5)
        # conv0 and pool0 halve with padding (ceil), each transition floors: the last one needs
        # 2×2, so pool0 must give 2^(blocks−1), which a side of 4·2^(blocks−1) − 3 reaches
        self.min_size = 4 * 2 ** (len(block_config) - 1) - 3
        self.classifier = nn.Linear(num_features, num_classes)
        _init_weights(self)

    def forward(self, x):
        check_image_batch("DenseNet", x, self.in_channels, min_size=self.min_size)
        out = F.relu(self.features(x))
        return self.classifier(F.adaptive_avg_pool2d(out, (1, 1)).flatten(1))


class DenseNetCIFAR(nn.Module):
    """The paper's CIFAR DenseNet-BC: conv0 3×3 (2k maps) → 3 dense blocks of (L − 4)/6
    bottleneck layers with 2 transitions (compression θ) → norm5 → ReLU → global avg-pool →
    classifier. Keys follow torchvision's DenseNet."""

    def __init__(self, depth=100, growth_rate=12, compression=0.5, drop_rate=0, num_classes=10,
                 in_channels=3):
        super().__init__()
        if not isinstance(depth, int) or depth < 10 or (depth - 4) % 6:
            raise ValueError(f"DenseNetCIFAR: depth must be 6n + 4 with n ≥ 1 (10, 16, ..., 100), "
                             f"got {depth!r}")
        if not 0 < compression <= 1:
            raise ValueError(f"DenseNetCIFAR: compression must be in (0, 1], got {compression!r}")
        per_block = (depth - 4) // 6
        self.in_channels = in_channels
        self.name = f"densenet_bc_{depth}_{growth_rate}"
        num_init = 2 * growth_rate
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(in_channels, num_init, kernel_size=3, padding=1, bias=False)),
        ]))
        num_features = _dense_trunk(self.features, num_init, (per_block,) * 3, growth_rate,
                                    bn_size=4, drop_rate=drop_rate, compression=compression)
        self.classifier = nn.Linear(num_features, num_classes)
        _init_weights(self)

    def forward(self, x):
        check_image_batch(self.name, x, self.in_channels, min_size=4)
        out = F.relu(self.features(x))
        return self.classifier(F.adaptive_avg_pool2d(out, (1, 1)).flatten(1))


@register("densenet121")
def densenet121(**kwargs):
    """DenseNet-121 (k = 32, blocks 6-12-24-16), Table 1."""
    return DenseNet(32, (6, 12, 24, 16), 64, **kwargs)


@register("densenet169")
def densenet169(**kwargs):
    """DenseNet-169 (k = 32, blocks 6-12-32-32), Table 1."""
    return DenseNet(32, (6, 12, 32, 32), 64, **kwargs)


@register("densenet201")
def densenet201(**kwargs):
    """DenseNet-201 (k = 32, blocks 6-12-48-32), Table 1."""
    return DenseNet(32, (6, 12, 48, 32), 64, **kwargs)


@register("densenet_bc_100_12")
def densenet_bc_100_12(**kwargs):
    """CIFAR DenseNet-BC with L = 100, k = 12 (0.8 M parameters), Table 2."""
    return DenseNetCIFAR(depth=100, growth_rate=12, **kwargs)
