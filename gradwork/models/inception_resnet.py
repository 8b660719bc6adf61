"""Inception-ResNet-v2 (Szegedy, Ioffe, Vanhoucke & Alemi 2017, "Inception-v4,
Inception-ResNet and the impact of residual connections on learning", Figs. 15–19), deck 000's
"Inception+ResNet".

Each residual Inception block runs parallel 1×1 / factorised conv branches, concatenates them,
maps back to the trunk's width with a linear 1×1 conv and adds the result, scaled, to its input:
y = ReLU(x + s·conv1×1([b₀(x), b₁(x), …])). The scale s (0.1–0.3, §3.3) keeps very deep
residual stacks stable. Trunk: stem → 35×35 blocks (A) → reduction → 17×17 blocks (B) →
reduction → 8×8 blocks (C) → 1×1 conv → global avg-pool → dropout → fc.

Widths and block counts are those of the authors' released TF-slim model (the one behind the
paper's results and the common pretrained weights; attribute names follow timm's port, so its
state_dict loads): trunk widths 320 / 1088 / 2080, 10 / 20 / 10 blocks, scales 0.17 / 0.10 /
0.20. The paper's figures differ in places known to be inconsistent (Fig. 17's 1154 and
Fig. 19's 2048 output widths do not match the reductions that feed them); we follow the release.
Every conv but the residual projections is conv (no bias) → BN (eps 1e-3) → ReLU.
55,843,464 parameters at 1000 classes. Input 299×299 in the paper; H, W ≥ 75.
"""
from .. import nn
from ..ops import cat
from .googlenet import BasicConv2d
from .inputs import check_image_batch
from .registry import register


class Mixed_5b(nn.Module):
    """Stem's last module (35×35): 96 | 48→64 (5×5) | 64→96→96 | avg-pool→64 = 320 maps."""

    def __init__(self):
        super().__init__()
        self.branch0 = BasicConv2d(192, 96, kernel_size=1)
        self.branch1 = nn.Sequential(BasicConv2d(192, 48, kernel_size=1),
                                     BasicConv2d(48, 64, kernel_size=5, padding=2))
        self.branch2 = nn.Sequential(BasicConv2d(192, 64, kernel_size=1),
                                     BasicConv2d(64, 96, kernel_size=3, padding=1),
                                     BasicConv2d(96, 96, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                                     BasicConv2d(192, 64, kernel_size=1))

    def forward(self, x):
        return cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block35(nn.Module):
    """Inception-ResNet-A (35×35 grid, Fig. 16)."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(320, 32, kernel_size=1)
        self.branch1 = nn.Sequential(BasicConv2d(320, 32, kernel_size=1),
                                     BasicConv2d(32, 32, kernel_size=3, padding=1))
        self.branch2 = nn.Sequential(BasicConv2d(320, 32, kernel_size=1),
                                     BasicConv2d(32, 48, kernel_size=3, padding=1),
                                     BasicConv2d(48, 64, kernel_size=3, padding=1))
        self.conv2d = nn.Conv2d(128, 320, kernel_size=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.conv2d(cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1))
        return self.relu(out * self.scale + x)


class Mixed_6a(nn.Module):
    """Reduction-A (35 → 17, Fig. 7 with k, l, m, n = 256, 256, 384, 384): 1088 maps."""

    def __init__(self):
        super().__init__()
        self.branch0 = BasicConv2d(320, 384, kernel_size=3, stride=2)
        self.branch1 = nn.Sequential(BasicConv2d(320, 256, kernel_size=1),
                                     BasicConv2d(256, 256, kernel_size=3, padding=1),
                                     BasicConv2d(256, 384, kernel_size=3, stride=2))
        self.branch2 = nn.MaxPool2d(3, stride=2)

    def forward(self, x):
        return cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class Block17(nn.Module):
    """Inception-ResNet-B (17×17 grid, Fig. 17): 1×7 and 7×1 factorised convs."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(1088, 192, kernel_size=1)
        self.branch1 = nn.Sequential(
            BasicConv2d(1088, 128, kernel_size=1),
            BasicConv2d(128, 160, kernel_size=(1, 7), padding=(0, 3)),
            BasicConv2d(160, 192, kernel_size=(7, 1), padding=(3, 0)))
        self.conv2d = nn.Conv2d(384, 1088, kernel_size=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.conv2d(cat([self.branch0(x), self.branch1(x)], 1))
        return self.relu(out * self.scale + x)


class Mixed_7a(nn.Module):
    """Reduction-B (17 → 8, Fig. 18): 384 | 288 | 320 | max-pool 1088 = 2080 maps."""

    def __init__(self):
        super().__init__()
        self.branch0 = nn.Sequential(BasicConv2d(1088, 256, kernel_size=1),
                                     BasicConv2d(256, 384, kernel_size=3, stride=2))
        self.branch1 = nn.Sequential(BasicConv2d(1088, 256, kernel_size=1),
                                     BasicConv2d(256, 288, kernel_size=3, stride=2))
        self.branch2 = nn.Sequential(BasicConv2d(1088, 256, kernel_size=1),
                                     BasicConv2d(256, 288, kernel_size=3, padding=1),
                                     BasicConv2d(288, 320, kernel_size=3, stride=2))
        self.branch3 = nn.MaxPool2d(3, stride=2)

    def forward(self, x):
        return cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block8(nn.Module):
    """Inception-ResNet-C (8×8 grid, Fig. 19; deck 000's Figure 7): 1×3 and 3×1 convs."""

    def __init__(self, scale=1.0, no_relu=False):
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(2080, 192, kernel_size=1)
        self.branch1 = nn.Sequential(
            BasicConv2d(2080, 192, kernel_size=1),
            BasicConv2d(192, 224, kernel_size=(1, 3), padding=(0, 1)),
            BasicConv2d(224, 256, kernel_size=(3, 1), padding=(1, 0)))
        self.conv2d = nn.Conv2d(448, 2080, kernel_size=1)
        self.relu = None if no_relu else nn.ReLU()

    def forward(self, x):
        out = self.conv2d(cat([self.branch0(x), self.branch1(x)], 1))
        out = out * self.scale + x
        return out if self.relu is None else self.relu(out)


class InceptionResNetV2(nn.Module):
    """Inception-ResNet-v2 (timm's attribute names)."""

    def __init__(self, num_classes=1000, in_channels=3, dropout=0.2):
        super().__init__()
        self.in_channels = in_channels
        self.conv2d_1a = BasicConv2d(in_channels, 32, kernel_size=3, stride=2)
        self.conv2d_2a = BasicConv2d(32, 32, kernel_size=3)
        self.conv2d_2b = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = BasicConv2d(64, 80, kernel_size=1)
        self.conv2d_4a = BasicConv2d(80, 192, kernel_size=3)
        self.maxpool_5a = nn.MaxPool2d(3, stride=2)
        self.mixed_5b = Mixed_5b()
        self.repeat = nn.Sequential(*[Block35(scale=0.17) for _ in range(10)])
        self.mixed_6a = Mixed_6a()
        self.repeat_1 = nn.Sequential(*[Block17(scale=0.10) for _ in range(20)])
        self.mixed_7a = Mixed_7a()
        self.repeat_2 = nn.Sequential(*[Block8(scale=0.20) for _ in range(9)])
        self.block8 = Block8(no_relu=True)
        self.conv2d_7b = BasicConv2d(2080, 1536, kernel_size=1)
        self.global_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.head_drop = nn.Dropout(dropout)
        self.classif = nn.Linear(1536, num_classes)

    def forward(self, x):
        # valid (unpadded) stride-2 stages: 75 is the least side that leaves 1×1 after mixed_7a
        check_image_batch("inception_resnet_v2", x, self.in_channels, min_size=75)
        x = self.conv2d_2b(self.conv2d_2a(self.conv2d_1a(x)))
        x = self.conv2d_4a(self.conv2d_3b(self.maxpool_3a(x)))
        x = self.mixed_5b(self.maxpool_5a(x))
        x = self.mixed_6a(self.repeat(x))
        x = self.mixed_7a(self.repeat_1(x))
        x = self.conv2d_7b(self.block8(self.repeat_2(x)))
        return self.classif(self.head_drop(self.global_pool(x).flatten(1)))


@register("inception_resnet_v2")
def inception_resnet_v2(**kwargs):
    """Inception-ResNet-v2 (Szegedy et al. 2017), the authors' released configuration."""
    return InceptionResNetV2(**kwargs)
