"""Differentiable primitives, one family per file, and the Tensor methods built on them."""
from ..autograd import Tensor
from . import (
    activation,
    arithmetic,
    compare,
    creation,
    cumulative,
    dropout,
    fold,
    index,
    inplace,
    interpolate,
    join,
    loss,
    pad,
    rearrange,
    reduce,
    shape,
    triangular,
    unary,
)
from .activation import elu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arithmetic import add, div, lerp, mul, neg, pow, sub
from .compare import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    ge,
    gt,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    masked_fill,
    maximum,
    minimum,
    ne,
    where,
)
from .creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .cumulative import cumprod, cumsum
from .einsum import einsum
from .index import gather, getitem, index_select
from .join import cat, chunk, concat, split, stack, unbind
from .matmul import addmm, baddbmm, bmm, linear, matmul, mm, outer
from .rearrange import flip, repeat, repeat_interleave, roll
from .reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    std,
    sum,
    var,
    vector_norm,
)
from .scatter import scatter, scatter_add
from .shape import (
    broadcast_to,
    expand,
    flatten,
    permute,
    reshape,
    squeeze,
    t,
    transpose,
    unsqueeze,
    view,
)
from .sort import argsort, sort, topk
from .triangular import tril, triu
from .unary import (
    abs,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    cos,
    exp,
    isfinite,
    isinf,
    isnan,
    log,
    nan_to_num,
    round,
    sign,
    sin,
    sqrt,
)

# Tensor methods, spelled out (no introspection): name → function of (self, *args).
_METHODS = {
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": arithmetic.rsub,
    "__mul__": mul, "__rmul__": mul, "__truediv__": div, "__rtruediv__": arithmetic.rdiv,
    "__pow__": pow, "__rpow__": arithmetic.rpow, "__neg__": neg, "__matmul__": matmul,
    "__rmatmul__": lambda self, other: matmul(Tensor(other), self),
    "__getitem__": getitem, "__abs__": abs,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
    "__invert__": bitwise_not, "logical_and": logical_and, "logical_or": logical_or,
    "logical_xor": logical_xor, "logical_not": logical_not, "bitwise_not": bitwise_not,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    "matmul": matmul, "mm": mm, "bmm": bmm, "outer": outer, "baddbmm": baddbmm, "addmm": addmm,
    "lerp": lerp, "cumsum": cumsum, "cumprod": cumprod, "sort": sort,
    "argsort": argsort, "topk": topk, "flip": flip, "roll": roll, "repeat": repeat,
    "repeat_interleave": repeat_interleave, "tril": tril, "triu": triu, "round": round,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "nan_to_num": nan_to_num,
    "scatter": scatter, "scatter_add": scatter_add, "clamp_min": clamp_min,
    "clamp_max": clamp_max, "fliplr": lambda self: flip(self, 1),
    "flipud": lambda self: flip(self, 0),
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
    "norm": norm, "where": lambda self, condition, other: where(condition, self, other),
    "new_zeros": lambda self, *size, dtype=None: zeros(*size, dtype=dtype or self.dtype,
                                                        device=self.device),
    "new_ones": lambda self, *size, dtype=None: ones(*size, dtype=dtype or self.dtype,
                                                      device=self.device),
    "new_full": lambda self, size, fill_value, dtype=None: full(size, fill_value,
                                                               dtype=dtype or self.dtype,
                                                               device=self.device),
    "new_tensor": lambda self, data, dtype=None: tensor(data, dtype=dtype or self.dtype,
                                                        device=self.device),
    "square": lambda self: self * self, "rsqrt": lambda self: 1.0 / sqrt(self),
    "reciprocal": lambda self: 1.0 / self,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

# In-place variants of the elementwise ops, all through Tensor._inplace (ops/inplace.py).
_INPLACE_OF = {
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "exp": exp,
    "log": log, "sqrt": sqrt, "abs": abs, "sign": sign, "sin": sin, "cos": cos,
    "clamp": clamp, "clip": clip, "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
    "masked_fill": masked_fill, "round": round, "nan_to_num": nan_to_num, "lerp": lerp,
    "clamp_min": clamp_min, "clamp_max": clamp_max, "scatter": scatter,
    "scatter_add": scatter_add, "tril": tril, "triu": triu,
}
INPLACE = inplace.build(_INPLACE_OF)
for _name, _fn in INPLACE.items():
    setattr(Tensor, _name, _fn)
for _name, _target in inplace.AUGMENTED.items():
    setattr(Tensor, _name, INPLACE[_target])
Tensor.T = property(lambda self: permute(self, tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
