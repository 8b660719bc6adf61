"""Weight normalisation (Salimans & Kingma 2016): w = g · v / ‖v‖.

`weight_norm(module)` replaces the parameter `weight` by two parameters, the direction
`weight_v` (the shape of w) and the magnitude `weight_g` (one per slice along `dim`, shaped
to broadcast: (out, 1, …) for dim=0), with PyTorch's legacy `torch.nn.utils.weight_norm`
names and shapes, so their state dicts load into each other. `weight` becomes a plain
attribute recomputed before every forward: the module's `forward` is replaced, on that
instance only, by one that recomputes the normalised weights and then runs the class's own
forward. `remove_weight_norm` folds g and v back into a single `weight` parameter.
"""
import types

from ...autograd import no_grad
from ...ops import reduce, unary
from ..parameter import Parameter


def _norm_dim(dim, ndim):
    """PyTorch's convention: None or −1 normalise over the whole tensor (g is a scalar)."""
    if dim is None or dim == -1:
        return None
    if not -ndim <= dim < ndim:
        raise IndexError(f"weight_norm: dim {dim} is out of range for a weight of {ndim} dims")
    return dim % ndim


def norm_except_dim(v, dim):
    """‖v‖₂ over every axis but `dim` (all axes when dim is None), keeping them as size 1."""
    axes = tuple(a for a in range(v.ndim) if a != dim)
    sq = reduce.sum(v * v, axes, keepdim=dim is not None)
    return unary.sqrt(sq)


# w = g · v / ‖v‖   (Salimans & Kingma 2016, eq. 2)
def _weight(g, v, dim):
    return v * (g / norm_except_dim(v, dim))


def _forward_with_weight_norm(self, *args, **kwargs):
    """Recompute w = g·v/‖v‖ for every normalised weight, then run the class's forward."""
    for name, dim in self._weight_norm.items():
        object.__setattr__(self, name, _weight(getattr(self, name + "_g"),
                                               getattr(self, name + "_v"), dim))
    return type(self).forward(self, *args, **kwargs)


def weight_norm(module, name="weight", dim=0):
    """Reparameterise `module.<name>` as g · v/‖v‖ (norm over all dims but `dim`); in place.

    Returns the module, which now has parameters `<name>_g` and `<name>_v` instead of
    `<name>`. Initially g = ‖w‖ and v = w, so the module computes the same function."""
    norms = module.__dict__.get("_weight_norm", {})
    if name in norms:
        raise RuntimeError(f"weight_norm: {type(module).__name__}.{name} already has weight "
                           "normalisation")
    weight = module._parameters.get(name)
    if weight is None:
        names = [k for k, p in module._parameters.items() if p is not None]
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r} "
                         f"(parameters: {names})")
    dim = _norm_dim(dim, weight.ndim)
    with no_grad():
        g = Parameter(norm_except_dim(weight, dim)._data)
    v = Parameter(weight._data.copy())
    delattr(module, name)
    module.register_parameter(name + "_g", g)
    module.register_parameter(name + "_v", v)
    object.__setattr__(module, name, _weight(g, v, dim))
    if not norms:
        module.__dict__["_weight_norm"] = norms
        module.__dict__["forward"] = types.MethodType(_forward_with_weight_norm, module)
    norms[name] = dim
    return module


def remove_weight_norm(module, name="weight"):
    """Undo `weight_norm`: `<name>` becomes one Parameter holding g · v/‖v‖ again."""
    norms = module.__dict__.get("_weight_norm", {})
    if name not in norms:
        raise ValueError(f"remove_weight_norm: weight_norm of {name!r} not found in "
                         f"{type(module).__name__}")
    dim = norms.pop(name)
    with no_grad():
        weight = _weight(getattr(module, name + "_g"), getattr(module, name + "_v"), dim)
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    object.__delattr__(module, name)
    module.register_parameter(name, Parameter(weight._data))
    if not norms:
        del module.__dict__["_weight_norm"]
        del module.__dict__["forward"]
    return module
