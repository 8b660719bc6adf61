"""Nested checkpoints without pickle: a structure of dicts, lists, tuples, Python scalars,
strings and None with tensors (or arrays) at the leaves, such as
`{"model": sd, "optim": osd, "epoch": 3}`, split into a flat name → array dict (stored as
safetensors) and a JSON description of the structure (stored in the safetensors metadata),
and put back together. Only these types exist in the format, so loading can never run code:
PyTorch's `weights_only=True` semantics, always.
"""
import json
from collections import OrderedDict

from . import backend
from .autograd import Tensor
from .errors import CheckpointError

STRUCTURE_KEY = "gradwork.structure"
_SCALARS = (bool, int, float, str, type(None))


def is_flat(obj):
    """A plain state dict (str → tensor/array): stored as bare safetensors, as before."""
    return isinstance(obj, dict) and all(isinstance(k, str) for k in obj) and all(
        isinstance(v, Tensor) or _is_array(v) for v in obj.values())


def _is_array(v):
    return hasattr(v, "__array_interface__") or type(v).__module__.startswith("cupy")


def flatten(obj):
    """(arrays, structure JSON): every tensor/array gets a name "t<i>" (a tensor reached
    twice is stored once); the structure names what sits where."""
    arrays, seen = {}, {}

    def leaf(value, kind):
        key = seen.get(id(value))
        if key is None:
            key = seen[id(value)] = f"t{len(arrays)}"
            arr = value._data if isinstance(value, Tensor) else value
            arr = backend.to_device(arr, "cpu")             # a GPU tensor is saved from the host
            arrays[key] = backend.np.require(backend.np.asarray(arr), requirements="C")
        node = {kind: key}
        if isinstance(value, Tensor) and value.requires_grad:
            node["requires_grad"] = True
        return node

    def walk(x, where):
        if isinstance(x, Tensor):
            return leaf(x, "tensor")
        if _is_array(x) and not isinstance(x, backend.np.generic):
            return leaf(x, "ndarray")
        if isinstance(x, backend.np.generic):
            x = x.item()
        if isinstance(x, _SCALARS):
            return {"value": x}
        if isinstance(x, dict):
            kind = "odict" if isinstance(x, OrderedDict) else "dict"
            for k in x:
                if not isinstance(k, _SCALARS):
                    raise TypeError(f"save: dict keys must be str, int, float, bool or None, got "
                                    f"{type(k).__name__} at {where}")
            return {kind: [[k, walk(v, f"{where}[{k!r}]")] for k, v in x.items()]}
        if isinstance(x, (list, tuple)):
            return {type(x).__name__: [walk(v, f"{where}[{i}]") for i, v in enumerate(x)]}
        raise TypeError(f"save: {where} is a {type(x).__name__}; gradwork checkpoints hold "
                        "tensors, arrays, dicts, lists, tuples, numbers, strings and None "
                        "(no pickle)")

    structure = walk(obj, "obj")
    return arrays, json.dumps(structure)


def unflatten(structure, arrays, path="checkpoint"):
    """Rebuild the object that `flatten` described, with Tensors made from `arrays`."""
    try:
        tree = json.loads(structure)
    except ValueError as e:
        raise CheckpointError(f"load: {path}: the structure in its metadata is not JSON ({e})") \
            from None
    made = {}

    def build(node):
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise CheckpointError(f"load: {path}: malformed structure node {node!r}")
        kind = next(iter(node))
        body = node[kind]
        if kind in ("tensor", "ndarray"):
            if body not in arrays:
                raise CheckpointError(f"load: {path}: the structure names tensor {body!r}, "
                                      "which the file does not hold")
            if kind == "ndarray":
                return arrays[body]
            if body not in made:
                made[body] = Tensor(arrays[body], requires_grad=bool(node.get("requires_grad")))
            return made[body]
        if kind == "value":
            return body
        if kind in ("dict", "odict"):
            pairs = [(k, build(v)) for k, v in body]
            return OrderedDict(pairs) if kind == "odict" else dict(pairs)
        if kind in ("list", "tuple"):
            items = [build(v) for v in body]
            return items if kind == "list" else tuple(items)
        raise CheckpointError(f"load: {path}: unknown structure node kind {kind!r}")

    return build(tree)
