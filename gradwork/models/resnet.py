"""ImageNet ResNets (He, Zhang, Ren & Sun 2016, "Deep residual learning for image recognition",
Table 1) and their plain counterparts (§4.1, Fig. 3 middle), decks 000 and 002's "ResNet".

A residual block learns F(x) and outputs ReLU(F(x) + shortcut(x)); the shortcut is the identity,
or a strided 1×1 conv + BN (projection, option B) where the shape changes. BasicBlock:
3×3 → 3×3 (ResNet-18/34); Bottleneck: 1×1 → 3×3 → 1×1 with 4× expansion (ResNet-50/101/152),
with the stride on the 3×3 conv (torchvision's "v1.5") by default; `stride_in_1x1=True` strides
the first 1×1 instead, as the paper does ("v1"), which is why its Table 1 gives 3.8 rather than
4.1 G multiply-adds for ResNet-50 (parameters are the same). A plain net is the same stack
without shortcuts (so no projections either).

Layout, keys and initialisation are torchvision's (conv kaiming_normal_ fan_out, BN 1/0,
`zero_init_residual` optional). `groups` and `width_per_group` give ResNeXt (see resnext.py).
Parameters at 1000 classes: 11,689,512 / 21,797,672 / 25,557,032 / 44,549,160 / 60,192,808.
"""
from .. import nn
from ..nn import init
from .inputs import check_image_batch
from .registry import register_residual_and_plain


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """y = ReLU(BN(conv3×3(ReLU(BN(conv3×3(x))))) + shortcut(x))."""
    expansion = 1
    residual = True

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError(f"BasicBlock: only groups=1 and base_width=64 are supported, got "
                             f"groups={groups}, base_width={base_width}")
        if dilation > 1:
            raise ValueError(f"BasicBlock: dilation > 1 is not supported, got {dilation}")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        if not self.residual:
            return self.relu(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """y = ReLU(BN(conv1×1(ReLU(BN(conv3×3/s(ReLU(BN(conv1×1(x))))))) + shortcut(x)).
    The 3×3 conv has `groups` groups of width planes·base_width/64 each (ResNeXt)."""
    expansion = 4
    residual = True

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None, stride_in_1x1=False):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)    # v1 (paper) or v1.5
        self.conv1 = conv1x1(inplanes, width, s1)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, s3, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if not self.residual:
            return self.relu(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class PlainBasicBlock(BasicBlock):
    """BasicBlock without its shortcut: y = ReLU(BN(conv(ReLU(BN(conv(x))))))."""
    residual = False


class PlainBottleneck(Bottleneck):
    """Bottleneck without its shortcut."""
    residual = False


class ResNet(nn.Module):
    """torchvision's ResNet: conv1 7×7/2 → max-pool 3/2 → layer1..4 → global avg-pool → fc.
    Input (N, in_channels, H, W), 224×224 in the paper; padding keeps every stage at least 1×1,
    so any size works (below 32×32 the last stages see a single pixel)."""

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None,
                 in_channels=3, stride_in_1x1=False):
        super().__init__()
        if len(layers) != 4:
            raise ValueError(f"ResNet: layers must list 4 stage depths, got {layers!r}")
        if stride_in_1x1 and not issubclass(block, Bottleneck):
            raise ValueError("ResNet: stride_in_1x1 applies to bottleneck blocks (ResNet-50 and "
                             "deeper); a basic block has no 1×1 convolution")
        self._block_options = {"stride_in_1x1": True} if stride_in_1x1 else {}
        replace_stride_with_dilation = replace_stride_with_dilation or [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("ResNet: replace_stride_with_dilation must have 3 entries, got "
                             f"{replace_stride_with_dilation!r}")
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.in_channels = in_channels
        self.inplanes, self.dilation = 64, 1
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3,
                               bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                init.constant_(m.weight, 1)
                init.constant_(m.bias, 0)
        if zero_init_residual:  # each block starts as the identity (Goyal et al. 2017)
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer, downsample, previous_dilation = self._norm_layer, None, self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if block.residual and (stride != 1 or self.inplanes != planes * block.expansion):
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer, **self._block_options)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        check_image_batch(type(self).__name__, x, self.in_channels)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


# Table 1: blocks per stage conv2_x .. conv5_x
DEPTHS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
          152: [3, 8, 36, 3]}


def _resnet(depth, plain=False, **kwargs):
    if depth < 50:
        block = PlainBasicBlock if plain else BasicBlock
    else:
        block = PlainBottleneck if plain else Bottleneck
    return ResNet(block, DEPTHS[depth], **kwargs)


def _register_depth(depth):
    return register_residual_and_plain(
        depth, _resnet, "ResNet-{depth} (He et al. 2016, Table 1), torchvision's layout.",
        "The plain {depth}-layer net: ResNet-{depth} without shortcuts (§4.1).")


resnet18, plain18 = _register_depth(18)
resnet34, plain34 = _register_depth(34)
resnet50, plain50 = _register_depth(50)
resnet101, plain101 = _register_depth(101)
resnet152, plain152 = _register_depth(152)
