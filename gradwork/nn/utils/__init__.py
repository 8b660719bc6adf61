"""Training utilities: gradient clipping, weight normalisation."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "remove_weight_norm", "weight_norm"]
