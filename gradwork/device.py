"""`gradwork.device`: where a tensor lives, compared and printed as PyTorch's `torch.device`.

gradwork computes on NumPy (the CPU); the array module of a GPU backend (CuPy) is named
"cuda", as PyTorch names it, so that `x.to(device)` code written for PyTorch runs unchanged.
"""
import builtins

_TYPES = ("cpu", "cuda", "mps", "meta")


class device:
    """`device('cpu')`, `device('cuda:0')`, `device('cuda', 0)`; equal to its string form."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got "
                            f"{type!r} of type {builtins.type(type).__name__}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"device: type {type!r} already holds an index; got index="
                                 f"{index!r} too")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise ValueError(f"device: expected an index after ':', got {idx!r}")
            index = int(idx)
        if type not in _TYPES:
            raise ValueError(f"device: expected one of {', '.join(_TYPES)} device type, got "
                             f"{type!r}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type, self.index = type, index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

