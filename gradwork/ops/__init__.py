"""Differentiable primitives, one family per file, and the Tensor methods built on them."""
from ..autograd import Tensor
from . import (activation, arithmetic, compare, creation, dropout, index, inplace, join, loss,
               matmul, pad, reduce, shape, unary)
from .activation import elu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arithmetic import add, div, mul, neg, pow, sub
from .compare import eq, ge, gt, le, lt, masked_fill, maximum, minimum, ne, where
from .creation import (arange, as_tensor, empty, eye, from_numpy, full, full_like, linspace,
                       ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                       tensor, zeros, zeros_like)
from .index import gather, getitem, index_select
from .join import cat, chunk, concat, split, stack, unbind
from .matmul import linear, matmul
from .reduce import amax, amin, argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .shape import (broadcast_to, expand, flatten, permute, reshape, squeeze, t, transpose,
                    unsqueeze, view)
from .unary import abs, clamp, clip, cos, exp, log, sign, sin, sqrt


# Tensor methods, spelled out (no introspection): name → function of (self, *args).
_METHODS = {
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": arithmetic.rsub,
    "__mul__": mul, "__rmul__": mul, "__truediv__": div, "__rtruediv__": arithmetic.rdiv,
    "__pow__": pow, "__rpow__": arithmetic.rpow, "__neg__": neg, "__matmul__": matmul,
    "__rmatmul__": lambda self, other: matmul(Tensor(other), self),
    "__getitem__": getitem, "__abs__": abs,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    "matmul": matmul, "mm": matmul, "bmm": matmul,
    "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "sign": sign, "sin": sin, "cos": cos,
    "clamp": clamp, "clip": clip, "maximum": maximum, "minimum": minimum,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "masked_fill": masked_fill,
    "sum": sum, "mean": mean, "var": var, "std": std, "max": max, "min": min, "amax": amax,
    "amin": amin,
    "argmax": argmax, "argmin": argmin, "logsumexp": logsumexp,
    "reshape": reshape, "view": view, "flatten": flatten, "permute": permute,
    "transpose": transpose, "t": shape.t, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "expand": expand,
    "broadcast_to": broadcast_to, "contiguous": shape.contiguous,
    "split": split, "chunk": chunk, "unbind": unbind, "gather": gather,
    "index_select": index_select,
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax,
    "to": shape.to, "type": shape.to,
    "float": lambda self: shape.to(self, "float32"),
    "double": lambda self: shape.to(self, "float64"),
    "half": lambda self: shape.to(self, "float16"),
    "long": lambda self: shape.to(self, "int64"),
    "int": lambda self: shape.to(self, "int32"),
    "bool": lambda self: shape.to(self, "bool"),
    "clone": shape.clone, "cpu": shape.cpu, "cuda": shape.cuda_,
    "view_as": lambda self, other: reshape(self, other.shape),
    "reshape_as": lambda self, other: reshape(self, other.shape),
    "expand_as": lambda self, other: expand(self, other.shape),
    "type_as": lambda self, other: shape.to(self, other.dtype),
    "all": lambda self, dim=None: Tensor(self._data.all(axis=dim)),
    "any": lambda self, dim=None: Tensor(self._data.any(axis=dim)),
    "norm": lambda self, p=2: sum(abs(self) ** p) ** (1.0 / p) if p != 2 else sqrt(sum(self * self)),
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

# In-place variants of the elementwise ops, all through Tensor._inplace (ops/inplace.py).
_INPLACE_OF = {
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "exp": exp,
    "log": log, "sqrt": sqrt, "abs": abs, "sign": sign, "sin": sin, "cos": cos,
    "clamp": clamp, "clip": clip, "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
    "masked_fill": masked_fill,
}
INPLACE = inplace.build(_INPLACE_OF)
for _name, _fn in INPLACE.items():
    setattr(Tensor, _name, _fn)
for _name, _target in inplace.AUGMENTED.items():
    setattr(Tensor, _name, INPLACE[_target])
Tensor.T = property(lambda self: permute(self, tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
