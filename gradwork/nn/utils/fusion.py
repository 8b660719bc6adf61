"""Fold an eval-mode batch norm into the convolution before it, as PyTorch's
`torch.nn.utils.fusion.fuse_conv_bn_eval`: conv → BN in inference is then one convolution.

    BN(W ⋆ x + b) = γ (W ⋆ x + b − μ)/√(σ² + ε) + β = W' ⋆ x + b',
    W' = W · γ/√(σ² + ε) (per output channel),  b' = (b − μ) · γ/√(σ² + ε) + β

(Ioffe & Szegedy 2015, §3.1: at inference BN is a fixed affine map per channel.) For a
transposed convolution the output channels are the weight's second axis (`transpose=True`).
"""
import copy

from ...autograd import no_grad
from ...backend import array_module
from ...errors import ArgumentError
from ..parameter import Parameter


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """(W', b') as arrays from the conv's and the BN's arrays (conv_b, bn_w, bn_b may be None),
    in PyTorch's order of operations (r = 1/√(σ² + ε); W·(γr), ((b − μ)·r)·γ + β), so the
    result equals torch.nn.utils.fusion.fuse_conv_bn_weights bit for bit."""
    dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else dtype
    xp = array_module(conv_w)
    rsqrt = 1 / xp.sqrt(bn_rv + bn_eps)
    shape = [1] * conv_w.ndim
    shape[1 if transpose else 0] = -1
    scale = rsqrt if bn_w is None else bn_w * rsqrt
    w = (conv_w * scale.reshape(shape)).astype(dtype)
    b = ((-bn_rm if conv_b is None else conv_b - bn_rm) * rsqrt)
    if bn_w is not None:
        b = b * bn_w
    if bn_b is not None:
        b = b + bn_b
    return w, b.astype(bias_dtype)


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


def fuse_modules(model, modules_to_fuse, inplace=False):
    """Fold conv → BN (→ ReLU) groups of an eval-mode `model` for inference, with PyTorch's
    `torch.ao.quantization.fuse_modules` call: `modules_to_fuse` is a list of dotted names
    (one group) or a list of such lists, each [conv, bn] or [conv, bn, relu] in the order
    forward runs them. The conv becomes `fuse_conv_bn_eval(conv, bn)` (followed by the ReLU in
    a Sequential when given), the other members `Identity`. A copy unless `inplace`.

    Only the named modules change, so a group must be a true sequence in forward: a ReLU
    module that forward calls twice (ResNet's `relu`) must not be fused."""
    from ..activation import ReLU
    from ..containers import Sequential
    from ..conv import _Conv, _ConvTranspose
    from ..linear import Identity
    from ..norm import _BatchNorm
    if not inplace:
        model = copy.deepcopy(model)
    groups = modules_to_fuse
    if groups and isinstance(groups[0], str):
        groups = [groups]
    for names in groups:
        names = list(names)
        mods = [model.get_submodule(n) for n in names]
        if not (len(mods) in (2, 3) and isinstance(mods[0], (_Conv, _ConvTranspose))
                and isinstance(mods[1], _BatchNorm)
                and (len(mods) == 2 or isinstance(mods[2], ReLU))):
            raise ArgumentError("fuse_modules: each group must name [conv, bn] or [conv, bn, "
                                f"relu] modules, got {names} = "
                                f"{[type(m).__name__ for m in mods]}")
        fused = fuse_conv_bn_eval(mods[0], mods[1], transpose=isinstance(mods[0], _ConvTranspose))
        if len(mods) == 3:
            fused = Sequential(fused, mods[2])
        for name, module in zip(names, [fused] + [Identity() for _ in names[1:]]):
            parent, _, leaf = name.rpartition(".")
            setattr(model.get_submodule(parent), leaf, module.eval())
    return model
