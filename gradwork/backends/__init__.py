"""Switches of the optional compute libraries, PyTorch's `torch.backends` names:
`gradwork.backends.mkldnn` (oneDNN's convolutions)."""
from . import mkldnn

__all__ = ["mkldnn"]
