"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document
recognition", Fig. 2), deck 002's "LeNet-5".

    input 1×32×32 → C1 6@5×5 → S2 2×2 → C3 16@5×5 → S4 2×2 → C5 120@5×5 (1×1 out) → F6 84 → 10

61,706 parameters. Modern default: ReLU and max-pooling. `activation='tanh', pool='avg'` gives
the 1998 network's shape of computation, with three documented simplifications: C3 connects to
all six S2 maps (the paper's sparse table gives 1,516 weights instead of 2,416), subsampling is
a plain 2×2 average (the paper's has a trainable coefficient and bias per map), and the output
is a linear layer (the paper's is Euclidean RBF units). tanh is the standard one (the paper's
is 1.7159·tanh(2a/3)).
"""
from .. import nn
from .inputs import check_image_batch
from .registry import register

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class LeNet5(nn.Module):
    """LeNet-5. `input_size` 32 (the paper) or 28 (MNIST without padding: C1 pads by 2)."""

    def __init__(self, num_classes=10, in_channels=1, activation="relu", pool="max",
                 input_size=32):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"LeNet5: activation must be one of {sorted(_ACTIVATIONS)}, got "
                             f"{activation!r}")
        if pool not in ("max", "avg"):
            raise ValueError(f"LeNet5: pool must be 'max' or 'avg', got {pool!r}")
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 32 or 28, got {input_size!r}")
        self.in_channels, self.input_size = in_channels, input_size
        act = _ACTIVATIONS[activation]
        pooling = (lambda: nn.MaxPool2d(2, 2)) if pool == "max" else (lambda: nn.AvgPool2d(2, 2))
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2 if input_size == 28 else 0), act(),  # C1
            pooling(),                                                                   # S2
            nn.Conv2d(6, 16, 5), act(),                                                  # C3
            pooling(),                                                                   # S4
            nn.Conv2d(16, 120, 5), act(),                                                # C5
        )
        self.classifier = nn.Sequential(nn.Linear(120, 84), act(), nn.Linear(84, num_classes))

    def forward(self, x):
        check_image_batch(type(self).__name__, x, self.in_channels, exact_size=self.input_size)
        x = self.features(x)            # (N, 120, 1, 1)
        return self.classifier(x.flatten(1))


@register("lenet5")
def lenet5(**kwargs):
    """LeNet-5 on 32×32 inputs (the paper's size)."""
    return LeNet5(input_size=32, **kwargs)


@register("lenet5_28")
def lenet5_28(**kwargs):
    """LeNet-5 on 28×28 inputs (MNIST as stored): C1 pads by 2, so every later shape is the
    paper's."""
    return LeNet5(input_size=28, **kwargs)
