"""Tensors, the tape and grad mode: reverse-mode automatic differentiation."""
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor

__all__ = ["Function", "Tensor", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]
