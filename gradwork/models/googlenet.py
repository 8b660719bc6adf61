"""GoogLeNet / Inception v1 (Szegedy et al. 2015, "Going deeper with convolutions", Table 1 and
Fig. 2b), deck 002's "GoogLeNet" and deck 000's "Inception module".

An Inception module runs four branches on the same input and concatenates them on channels:
1×1 | 1×1 → 3×3 | 1×1 → "5×5" | 3×3 max-pool → 1×1; the 1×1 reductions keep the cost down.
Layout, keys and behaviour are torchvision's, including its two departures from the paper:
BatchNorm (eps 1e-3) after every conv, and a 3×3 conv where the paper's 5×5 branch is (a bug
torchvision keeps for its weights). `googlenet_paper` has the paper's 5×5 there: its modules'
weights then match Table 1's "params" column (3a: 159K, ..., 5b: 1388K, K = 1024).
Two auxiliary classifiers (after 4a and 4d) run only in training mode when `aux_logits=True`;
then `forward` returns `GoogLeNetOutputs(logits, aux_logits2, aux_logits1)`, else the logits.
Parameters: 6,624,904 with `aux_logits=False` (torchvision's published count, the network used
at test time); the two auxiliary heads add 6,379,984 (13,004,888 in all at 1000 classes).
"""
from collections import namedtuple

from .. import nn
from ..nn import functional as F
from ..nn import init
from ..ops import cat, stack
from .inputs import check_image_batch
from .registry import register

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    """conv (no bias) → BatchNorm (eps 1e-3) → ReLU."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """One Inception module (Fig. 2b): four branches concatenated on channels."""

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                 branch3_kernel=3):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=branch3_kernel,
                                                 padding=branch3_kernel // 2))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: avg-pool to 4×4 → 1×1 conv 128 → FC 1024 → dropout → FC."""

    def __init__(self, in_channels, num_classes, dropout=0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))     # (N, 128, 4, 4)
        x = F.relu(self.fc1(x.flatten(1)))                   # (N, 1024)
        return self.fc2(self.dropout(x))


# Table 1: (in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj) per module
INCEPTION_TABLE = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """torchvision's GoogLeNet. Input (N, 3, H, W), 224×224 in the paper; H, W ≥ 15.
    branch3_kernel: the "5×5" branch's kernel, 3 as in torchvision or 5 as in the paper."""

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False,
                 init_weights=True, dropout=0.2, dropout_aux=0.7, in_channels=3,
                 branch3_kernel=3):
        super().__init__()
        if transform_input and in_channels != 3:
            raise ValueError(f"GoogLeNet: transform_input needs in_channels=3, got {in_channels}")
        self.aux_logits, self.transform_input = aux_logits, transform_input
        self.in_channels = in_channels
        self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        k = branch3_kernel
        self.inception3a = Inception(*INCEPTION_TABLE["3a"], branch3_kernel=k)
        self.inception3b = Inception(*INCEPTION_TABLE["3b"], branch3_kernel=k)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ("4a", "4b", "4c", "4d", "4e"):
            setattr(self, "inception" + name, Inception(*INCEPTION_TABLE[name], branch3_kernel=k))
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(*INCEPTION_TABLE["5a"], branch3_kernel=k)
        self.inception5b = Inception(*INCEPTION_TABLE["5b"], branch3_kernel=k)
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    init.constant_(m.weight, 1)
                    init.constant_(m.bias, 0)

    def _transform_input(self, x):
        # ImageNet-normalised input → the (x − 0.5)/0.5 scaling the original weights expect
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        return stack([x[:, i] * (s / 0.5) + (m - 0.5) / 0.5
                      for i, (m, s) in enumerate(zip(mean, std))], 1)

    def forward(self, x):
        # conv1 /2 and three ceil-mode pools /2 leave 1×1 from a side of 15
        check_image_batch("googlenet", x, self.in_channels, min_size=15)
        if self.transform_input:
            x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


@register("googlenet")
def googlenet(**kwargs):
    """GoogLeNet (torchvision's defaults: auxiliary classifiers on, used in training mode)."""
    return GoogLeNet(**kwargs)


@register("googlenet_paper")
def googlenet_paper(**kwargs):
    """GoogLeNet as Szegedy et al. 2015 specify it: 5×5 convolutions in the "5×5" branch
    (7,005,832 parameters at 1000 classes without the auxiliary heads; torchvision's 3×3 has
    6,624,904). The BatchNorm layers stay, as in torchvision."""
    return GoogLeNet(branch3_kernel=5, **kwargs)
