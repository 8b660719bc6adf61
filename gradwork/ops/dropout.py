"""Dropout (Srivastava et al. 2014). Inverted scaling (deck 002, PyTorch): y = m ⊙ x / (1 − p)
in training, y = x in eval. The original form (deck 001): y = m ⊙ x in training and
y = (1 − p) x at test time. With the same mask the two differ by the constant factor 1 − p in
both modes, so a net trained with one equals a net trained with the other whose next layer's
weights are scaled by 1/(1 − p)."""
from ..autograd import Function
from ..backend import array_module, generator
from ..errors import check_probability as check_probability_rule


class Dropout(Function):
    def forward(self, x, p, mask_shape, scale):
        keep = generator().random(mask_shape, dtype=x.dtype if x.dtype.kind == "f" else "float32")
        keep = array_module(x).asarray(keep)    # on a GPU: drawn on the host (the CPU's numbers)
        self.mask = (keep >= p).astype(x.dtype) * x.dtype.type(scale)
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def check_probability(p, where="dropout"):
    """p, the probability of an element being zeroed, in [0, 1] (gradwork.errors' rule)."""
    return check_probability_rule(where, "p", p)


def _dropout(x, p, training, inverted, mask_shape):
    check_probability(p)
    if not training:
        return x if inverted or p == 0 else x * (1.0 - p)
    if p == 0:
        return x
    if p == 1:
        return x * 0.0
    return Dropout.apply(x, p=p, mask_shape=mask_shape, scale=1.0 / (1.0 - p) if inverted else 1.0)


def dropout(x, p=0.5, training=True, inplace=False, inverted=True):
    """Zero each element with probability p and scale survivors by 1/(1−p); identity in eval.
    `inverted=False` is deck 001's original form: no scaling in training, × (1 − p) in eval."""
    return _dropout(x, p, training, inverted, x.shape)


def dropout2d(x, p=0.5, training=True, inplace=False, inverted=True):
    """Drop whole channels: one mask value per (N, C) of an (N, C, H, W) input."""
    return _dropout(x, p, training, inverted, x.shape[:2] + (1,) * (x.ndim - 2))
