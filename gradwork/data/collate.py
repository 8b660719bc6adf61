"""`default_collate`: a list of samples → one batch, PyTorch's rules.

Tensors and arrays are stacked along a new first dimension; Python ints become an int64
Tensor, floats a float64 Tensor (as in PyTorch); tuples/lists and dicts are collated field
by field; strings stay a list.
"""
from ..autograd import Tensor
from ..backend import np


def default_collate(batch):
    if not batch:
        raise ValueError("default_collate: got an empty batch")
    first = batch[0]
    if isinstance(first, Tensor) or isinstance(first, np.ndarray):
        arrays = [b._data if isinstance(b, Tensor) else b for b in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: samples must share one shape to be stacked, got "
                             f"{sorted(shapes)}")
        return Tensor(np.stack(arrays))
    if isinstance(first, (bool, np.bool_)):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, (int, np.integer)):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(first, (float, np.floating)):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(b) != len(first) for b in batch):
            raise ValueError("default_collate: samples have different numbers of fields")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: cannot collate samples of type {type(first).__name__} "
                    "(expected Tensor, ndarray, number, str, tuple, list or dict)")
