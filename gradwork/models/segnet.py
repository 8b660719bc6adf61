"""SegNet (Badrinarayanan, Kendall & Cipolla 2017, "SegNet: a deep convolutional
encoder-decoder architecture for image segmentation", Fig. 2 and §3), deck 001's "Image
segmentation".

The encoder is VGG-16's 13 conv layers (3×3 conv → BN → ReLU) in 5 stages, each ended by a 2×2
max-pool that remembers its argmax indices. The decoder mirrors it: each stage max-unpools with
the indices of the matching encoder pool (a sparse upsampling that puts every value back where
its maximum came from), then densifies with 3×3 conv → BN → ReLU layers. A last 3×3 conv maps
to `num_classes` scores per pixel (softmax in the loss). No fully connected layers, so any
H, W ≥ 2^stages works; odd sizes unpool back to the exact pre-pool size.

`widths` and `depths` (per stage) default to VGG-16's (64, 128, 256, 512, 512) and
(2, 2, 3, 3, 3); smaller ones give a quick network for experiments and tests.
"""
from .. import nn
from .inputs import check_image_batch
from .registry import register


def _conv_bn_relu(in_channels, out_channels):
    return [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class SegNet(nn.Module):
    """Encoder `encoder[i]` (conv stages), `decoder[i]` (mirrored), `classifier` (3×3 conv).
    Input (N, in_channels, H, W) → scores (N, num_classes, H, W)."""

    def __init__(self, num_classes=21, in_channels=3, widths=(64, 128, 256, 512, 512),
                 depths=(2, 2, 3, 3, 3)):
        super().__init__()
        if len(widths) != len(depths) or not widths:
            raise ValueError(f"SegNet: widths and depths must be non-empty and of equal length, "
                             f"got widths={widths!r}, depths={depths!r}")
        if any(d < 1 for d in depths):
            raise ValueError(f"SegNet: every stage needs depth ≥ 1, got depths={depths!r}")
        self.in_channels, self.num_stages = in_channels, len(widths)
        encoder, c = [], in_channels
        for w, d in zip(widths, depths):
            layers = _conv_bn_relu(c, w)
            for _ in range(d - 1):
                layers += _conv_bn_relu(w, w)
            encoder.append(nn.Sequential(*layers))
            c = w
        # decoder stage i mirrors encoder stage i: w_i → … → w_i → w_{i−1}; in stage 0 the
        # classifier is the last of its d convs (13 decoder convs in all, as the encoder)
        decoder = []
        for i, (w, d) in enumerate(zip(widths, depths)):
            layers = []
            for _ in range(d - 1):
                layers += _conv_bn_relu(w, w)
            if i > 0:
                layers += _conv_bn_relu(w, widths[i - 1])
            decoder.append(nn.Sequential(*layers))
        self.encoder = nn.ModuleList(encoder)
        self.decoder = nn.ModuleList(decoder)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(kernel_size=2, stride=2)
        self.classifier = nn.Conv2d(widths[0], num_classes, kernel_size=3, padding=1)

    def forward(self, x):
        check_image_batch("segnet", x, self.in_channels, min_size=2 ** self.num_stages)
        saved = []                                     # (indices, pre-pool size) per stage
        for stage in self.encoder:
            x = stage(x)
            size = x.shape[2:]
            x, indices = self.pool(x)
            saved.append((indices, size))
        for stage, (indices, size) in zip(reversed(self.decoder), reversed(saved)):
            x = stage(self.unpool(x, indices, output_size=size))
        return self.classifier(x)


@register("segnet")
def segnet(**kwargs):
    """SegNet with the VGG-16 encoder (13 conv layers) and its mirrored decoder."""
    return SegNet(**kwargs)
