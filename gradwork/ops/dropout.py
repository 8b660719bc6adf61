"""Dropout with inverted scaling (Srivastava et al. 2014; deck 002): y = m ⊙ x / (1 − p)."""
from ..autograd import Function
from ..backend import generator
from ..errors import check_probability as check_probability_rule


class Dropout(Function):
    def forward(self, x, p, mask_shape):
        keep = generator().random(mask_shape, dtype=x.dtype if x.dtype.kind == "f" else "float32")
        self.mask = (keep >= p).astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def check_probability(p, where="dropout"):
    """p, the probability of an element being zeroed, in [0, 1] (gradwork.errors' rule)."""
    return check_probability_rule(where, "p", p)


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale survivors by 1/(1−p); identity in eval."""
    check_probability(p)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    return Dropout.apply(x, p=p, mask_shape=x.shape)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Drop whole channels: one mask value per (N, C) of an (N, C, H, W) input."""
    check_probability(p)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    return Dropout.apply(x, p=p, mask_shape=x.shape[:2] + (1,) * (x.ndim - 2))
