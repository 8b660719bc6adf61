"""`Dropout` (inverted scaling, identity in eval) and `Dropout2d` (whole channels)."""
from ..ops import dropout as dropout_ops
from .module import Module


class Dropout(Module):
    """Zero elements with probability p during training, scale the rest by 1/(1 − p).
    `inverted=False` (not in PyTorch) is deck 001's original dropout: survivors unscaled in
    training, the output multiplied by 1 − p at test time (Srivastava et al. 2014, Fig. 2)."""

    def __init__(self, p=0.5, inplace=False, inverted=True):
        super().__init__()
        dropout_ops.check_probability(p)
        self.p, self.inverted = p, bool(inverted)

    def forward(self, x):
        return dropout_ops.dropout(x, self.p, self.training, inverted=self.inverted)

    def extra_repr(self):
        return f"p={self.p}" + ("" if self.inverted else ", inverted=False")


class Dropout2d(Dropout):
    def forward(self, x):
        return dropout_ops.dropout2d(x, self.p, self.training, inverted=self.inverted)
