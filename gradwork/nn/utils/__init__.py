"""Training utilities: gradient clipping, weight normalisation, conv–BN fusion."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_modules
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_modules", "remove_weight_norm", "weight_norm"]
