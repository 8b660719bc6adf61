"""Binary LeNet-5s: binary-weight (BWN) and XNOR versions of `LeNet5` (Rastegari et al. 2016;
LeCun et al. 1998), deck 004. As in the paper, the first and the last layer stay real-valued.

    bwn_lenet5:   C1 real → S2 → C3 bin-W → S4 → C5 bin-W → F6 bin-W → out real
                  (LeNet5's layers and ReLUs, C3/C5/F6 with binary weights: x ⊛ (α ⊙ sign W))
    xnor_lenet5:  C1 real → ReLU → S2 → [BN → sign → XNOR C3 → S4] → [BN → sign → XNOR C5]
                  → [BN → sign → XNOR F6] → BN → ReLU → out real

The XNOR blocks follow the paper's Fig. 3 (BN → BinActiv → BinConv → Pool): without the
BatchNorm before the sign, a ReLU output would binarise to all +1.
"""
from .. import nn
from .inputs import check_image_batch
from .registry import register


class BinaryLeNet5(nn.Module):
    """LeNet-5 with binary C3, C5 and F6; mode "bwn" (binary weights) or "xnor" (binary
    weights and inputs). `input_size` 32 (the paper) or 28 (C1 pads by 2)."""

    def __init__(self, mode="xnor", num_classes=10, in_channels=1, input_size=32,
                 scale_input=False):
        super().__init__()
        if mode not in ("bwn", "xnor"):
            raise ValueError(f"BinaryLeNet5: mode must be 'bwn' or 'xnor', got {mode!r}")
        if input_size not in (28, 32):
            raise ValueError(f"BinaryLeNet5: input_size must be 32 or 28, got {input_size!r}")
        self.mode, self.in_channels, self.input_size = mode, in_channels, input_size
        c1 = nn.Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0)
        if mode == "bwn":
            self.features = nn.Sequential(
                c1, nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.BinaryConv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.BinaryConv2d(16, 120, 5), nn.ReLU())
            self.classifier = nn.Sequential(nn.BinaryLinear(120, 84), nn.ReLU(),
                                            nn.Linear(84, num_classes))
            return
        self.features = nn.Sequential(
            c1, nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.XNORBlock(6, 16, 5, pool=nn.MaxPool2d(2, 2), scale_input=scale_input),
            nn.XNORBlock(16, 120, 5, scale_input=scale_input))
        self.classifier = nn.Sequential(
            nn.BatchNorm1d(120), nn.XNORLinear(120, 84, bias=False, scale_input=scale_input),
            nn.BatchNorm1d(84), nn.ReLU(), nn.Linear(84, num_classes))

    def forward(self, x):
        check_image_batch(type(self).__name__, x, self.in_channels, exact_size=self.input_size)
        x = self.features(x)            # (N, 120, 1, 1)
        return self.classifier(x.flatten(1))


@register("bwn_lenet5")
def bwn_lenet5(**kwargs):
    """LeNet-5 with binary weights in C3, C5, F6 (BWN), 32×32 inputs."""
    return BinaryLeNet5("bwn", **kwargs)


@register("xnor_lenet5")
def xnor_lenet5(**kwargs):
    """XNOR-Net LeNet-5: binary weights and inputs in C3, C5, F6, 32×32 inputs."""
    return BinaryLeNet5("xnor", **kwargs)
