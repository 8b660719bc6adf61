"""`gradwork.linalg`: PyTorch's `torch.linalg` names for the linear-algebra ops gradwork has."""
from .ops.matmul import matmul
from .ops.reduce import vector_norm


def norm(x, ord=None, dim=None, keepdim=False, dtype=None):
    """`linalg.norm` of vectors: ord None is the 2-norm (matrix norms are not implemented)."""
    if ord is not None and isinstance(dim, (tuple, list)) and len(dim) == 2 or \
            (ord is not None and dim is None and x.ndim == 2):
        raise NotImplementedError("linalg.norm: matrix norms are not implemented; use "
                                  "linalg.vector_norm or ord=None")
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype)


__all__ = ["matmul", "norm", "vector_norm"]
