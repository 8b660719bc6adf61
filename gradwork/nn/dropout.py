"""`Dropout` (inverted scaling, identity in eval) and `Dropout2d` (whole channels)."""
from ..ops import dropout as dropout_ops
from .module import Module


class Dropout(Module):
    """Zero elements with probability p during training, scale the rest by 1/(1 − p)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        dropout_ops.check_probability(p)
        self.p = p

    def forward(self, x):
        return dropout_ops.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Dropout):
    def forward(self, x):
        return dropout_ops.dropout2d(x, self.p, self.training)
