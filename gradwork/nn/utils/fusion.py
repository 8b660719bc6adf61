"""Fold an eval-mode batch norm into the convolution before it, as PyTorch's
`torch.nn.utils.fusion.fuse_conv_bn_eval`: conv → BN in inference is then one convolution.

    BN(W ⋆ x + b) = γ (W ⋆ x + b − μ)/√(σ² + ε) + β = W' ⋆ x + b',
    W' = W · γ/√(σ² + ε) (per output channel),  b' = (b − μ) · γ/√(σ² + ε) + β

(Ioffe & Szegedy 2015, §3.1: at inference BN is a fixed affine map per channel.) For a
transposed convolution the output channels are the weight's second axis (`transpose=True`).
"""
import copy

from ...autograd import no_grad
from ..parameter import Parameter


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(W', b') as arrays from the conv's and the BN's arrays (conv_b, bn_w, bn_b may be None)."""
    xp_dtype = conv_w.dtype
    scale = (bn_w if bn_w is not None else 1.0) / (bn_rv + bn_eps) ** 0.5
    shift = bn_b if bn_b is not None else 0.0
    shape = [1] * conv_w.ndim
    shape[1 if transpose else 0] = -1
    w = (conv_w * scale.reshape(shape)).astype(xp_dtype)
    b = ((conv_b if conv_b is not None else 0.0) - bn_rm) * scale + shift
    return w, b.astype(xp_dtype)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of `conv` whose weight and bias include `bn`'s eval-mode normalisation; both
    must be in eval mode and `bn` must track running statistics."""
    if conv.training or bn.training:
        raise ValueError("fuse_conv_bn_eval: conv and bn must be in eval mode (call .eval())")
    if not bn.track_running_stats or bn.running_mean is None:
        raise ValueError("fuse_conv_bn_eval: bn must track running statistics")
    fused = copy.deepcopy(conv)
    with no_grad():
        w, b = fuse_conv_bn_weights(
            conv.weight._data, None if conv.bias is None else conv.bias._data,
            bn.running_mean._data, bn.running_var._data, bn.eps,
            None if bn.weight is None else bn.weight._data,
            None if bn.bias is None else bn.bias._data, transpose)
    fused.weight = Parameter(w, requires_grad=conv.weight.requires_grad)
    fused.bias = Parameter(b, requires_grad=conv.weight.requires_grad)
    return fused
