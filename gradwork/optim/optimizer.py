"""`Optimizer`: parameter groups, per-parameter state, and checkpointable state dicts.

PyTorch's structure: `param_groups` is a list of dicts (`params` plus the group's options,
which schedulers change, e.g. `lr`); `state[p]` holds the per-parameter buffers. Subclasses
implement `_update(group, p, g, state)`, the rule for one parameter, on raw arrays in place.

Checkpoints: `state_dict()` refers to parameters by integer index (their order over the
groups) and holds Tensors and numbers. For a safetensors file, split it with
`flatten_state_dict` into flat arrays and a JSON-serialisable rest, and join them back with
`unflatten_state_dict`; the trainer stores it as

    arrays, meta = flatten_state_dict(opt.state_dict(), prefix="optim.")
    gradwork.save({**model.state_dict(), **arrays}, path, metadata={"optimizer": meta})
    ...
    meta = json.loads(gradwork.serialization.load_metadata(path)["optimizer"])
    opt.load_state_dict(unflatten_state_dict(gradwork.load(path), meta, prefix="optim."))

(`model.load_state_dict(..., strict=False)` then ignores the "optim." keys, or filter them.)
"""
import copy
import numbers

from .. import backend
from ..autograd import Tensor, enable_grad
from ..errors import ArgumentError, check_nonnegative, check_probability

# PyTorch's words for each option in its "Invalid ...: value" errors (torch/optim/*.py)
_TORCH_WORDS = {"lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
                "weight_decay": "weight_decay value", "alpha": "alpha value",
                "dampening": "dampening value", "betas[0]": "beta parameter at index 0",
                "betas[1]": "beta parameter at index 1"}


def check_option(owner, name, value, rule=check_nonnegative, **kw):
    """`rule(value)` (a validator of gradwork.errors; default: a finite number ≥ 0, so NaN and
    inf are refused too), its error worded as PyTorch's ValueError with gradwork's reason:
    ``SGD: Invalid learning rate: -1 (lr must be a finite number >= 0, got -1)``."""
    try:
        return rule(None, name, value, **kw)
    except ArgumentError as e:
        raise ArgumentError(f"{owner}: Invalid {_TORCH_WORDS[name]}: {value} ({e})") from None


def check_betas(owner, betas):
    """Adam's (β1, β2): two numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ArgumentError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        check_option(owner, f"betas[{i}]", b, check_probability, inclusive_high=False)


class Optimizer:
    """Base class. `params`: an iterable of Parameters, of (name, Parameter) pairs, or of
    dicts {"params": ..., option: value} whose options override `defaults` for that group."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or "
                            "dicts, got a single Tensor (wrap it in a list)")
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _validate(self, group):
        """Check one group's options (subclasses); raise ValueError naming the bad one."""

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (e.g. unfrozen layers, other lr)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got "
                            f"{type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, set):
            raise TypeError(f"{name}: params must be an ordered collection, got a set (its "
                            "order changes between runs; use a list)")
        params = [params] if isinstance(params, Tensor) else list(params)
        if params and all(isinstance(p, tuple) for p in params):
            group["param_names"] = [n for n, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor")
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._validate(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (set to None, or fill with zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad._data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place on `p._data` (raw arrays, so
        no graph is recorded; the Parameter objects and their dtype stay).

        `closure` (optional) re-evaluates the model and returns the loss; it runs with
        gradients enabled, before the update, and its result is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        state, update = self.state, self._update
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if maximize:
                    g = -g
                update(group, p._data, g, state.setdefault(p, {}))
                p._bump_version()
        return loss

    def _update(self, group, p, g, state):  # pragma: no cover - interface
        raise NotImplementedError

    @staticmethod
    def _zeros_like(p):
        """A state buffer: a Tensor of zeros with p's shape and dtype."""
        return Tensor(backend.array_module(p).zeros_like(p))

    # ------------------------------------------------------------ state dicts
    def state_dict(self):
        """{"state": {index: {name: Tensor or number}}, "param_groups": [options + indices]}.

        Tensors are the live buffers (as in PyTorch); copy them to keep a snapshot."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state from `state_dict()` (arrays, Tensors or torch tensors).

        Parameters are matched by position; state arrays are copied and cast to the
        parameter's dtype, `step` counters are kept as numbers."""
        name = type(self).__name__
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, the optimizer {len(self.param_groups)}")
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has "
                                 f"{len(sg['params'])} parameters in the state dict, "
                                 f"{len(g['params'])} in the optimizer")
        id_map = {saved: p for g, sg in zip(self.param_groups, saved_groups)
                  for saved, p in zip(sg["params"], g["params"])}
        state = {}
        for key, values in state_dict["state"].items():
            p = id_map.get(int(key))
            if p is None:
                continue
            state[p] = {k: _restore_value(k, v, p) for k, v in values.items()}
        for g, sg in zip(self.param_groups, saved_groups):
            sg["params"] = g["params"]
            if "param_names" in g and "param_names" not in sg:
                sg["param_names"] = g["param_names"]
        self.param_groups = saved_groups
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items())
                      if k not in ("params", "param_names")]
        return "\n".join(lines) + "\n)"


def _restore_value(key, value, p):
    if key == "step":
        return int(float(value.item() if hasattr(value, "item") else value))
    if isinstance(value, numbers.Number):
        return value
    arr = value._data if isinstance(value, Tensor) else backend.np.asarray(value)
    dtype = p._data.dtype if p._data.dtype.kind == "f" else arr.dtype
    arr = backend.to_device(arr, backend.device_type(p._data))  # state follows its parameter
    return Tensor(arr.astype(dtype, copy=True))


def flatten_state_dict(state_dict, prefix=""):
    """Split an optimizer state dict into (arrays, meta): `arrays` maps
    "{prefix}state.{index}.{name}" to ndarrays (for `gradwork.save`), `meta` is everything
    else (param groups, step counters) as JSON-serialisable Python values."""
    arrays, meta_state = {}, {}
    for idx, values in state_dict["state"].items():
        scalars = {}
        for k, v in values.items():
            if isinstance(v, numbers.Number):
                scalars[k] = v
            else:
                arrays[f"{prefix}state.{idx}.{k}"] = v._data if isinstance(v, Tensor) else \
                    backend.np.asarray(v)
        meta_state[str(idx)] = scalars
    groups = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
              for g in state_dict["param_groups"]]
    return arrays, {"state": meta_state, "param_groups": groups}


def unflatten_state_dict(arrays, meta, prefix=""):
    """Inverse of `flatten_state_dict` (arrays may be Tensors, as `gradwork.load` gives)."""
    state = {int(idx): dict(scalars) for idx, scalars in meta["state"].items()}
    head = f"{prefix}state."
    for key, value in arrays.items():
        if not key.startswith(head):
            continue
        idx, name = key[len(head):].split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": copy.deepcopy(meta["param_groups"])}
