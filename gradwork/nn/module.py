"""`Module`: the base of every layer and model.

Assigning a `Parameter`, a `Module` or a value to a declared buffer registers it, so
`parameters()`, `state_dict()` and `train()/eval()` find everything without
introspection. State-dict keys and layouts are PyTorch's, so weights move both ways.
"""
from collections import OrderedDict, namedtuple

from .. import backend, cuda
from ..autograd import Tensor, is_grad_enabled, no_grad
from ..autograd.hooks import RemovableHandle
from ..device import device as device_type
from . import backward_hooks
from .parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _add_hook(hooks, hook, prepend):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Module:
    """Base class: subclasses create parameters/children in `__init__` and define `forward`."""

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}: call Module.__init__() before "
                                 f"assigning attribute {name!r}")
        if isinstance(value, Parameter):
            self._forget(name, keep="_parameters")
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            d["_buffers"][name] = value
        elif name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                "(nn.Module or None expected)")
            d["_modules"][name] = None
        object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Drop `name` from the registries (but `keep`, so a replacement keeps its place)."""
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self.__dict__["_non_persistent"].discard(name)

    def __delattr__(self, name):
        self._forget(name)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got "
                            f"{type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is state but not learnable (running statistics, masks)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def register_module(self, name, module):
        self.__setattr__(name, module)

    add_module = register_module

    # ------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, prepend=False):
        """`hook(module, args)` before every forward; a returned value (a tuple, or one value
        that becomes a 1-tuple) replaces the positional arguments. Returns a handle."""
        return _add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook, prepend=False):
        """`hook(module, args, output)` after every forward; a returned value replaces the
        output. Returns a handle with remove()."""
        return _add_hook(self._forward_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """`hook(module, grad_input, grad_output)` once the gradients with respect to the
        module's tensor inputs have been computed (tuples, None for inputs that need none); a
        returned tuple replaces grad_input. Returns a handle with remove()."""
        return _add_hook(self._backward_hooks, hook, prepend)

    # ------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        call = None
        if self._backward_hooks and is_grad_enabled():
            args, call = backward_hooks.wrap_inputs(self, args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        if call is not None:
            out = backward_hooks.wrap_outputs(call, out)
        return out

    # ------------------------------------------------------------ traversal
    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if m is None or id(m) in memo:
                continue
            memo.add(id(m))
            yield name, m
            children = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((k, m) for k, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, m in modules:
            for k, v in getattr(m, registry).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{mod_name}.{k}" if mod_name else k), v

    def named_parameters(self, prefix="", recurse=True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def get_submodule(self, target):
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules:
                raise AttributeError(f"{type(m).__name__} has no submodule {part!r}")
            m = m._modules[part]
        return m

    # ------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def apply(self, fn):
        """Call fn(m) on every submodule and then on self, children first (PyTorch's order)."""
        stack = [(self, False)]
        while stack:
            m, children_done = stack.pop()
            if children_done:
                fn(m)
                continue
            stack.append((m, True))
            stack.extend((c, False) for c in reversed(list(m.children())))
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """`model.to(dtype)`, `model.to(device)`, `model.to(device, dtype)`: floating-point
        parameters and buffers cast in place (the objects stay, so optimisers keep them);
        'cpu' is where they are, 'cuda' needs the GPU backend (a clear error without it)."""
        for arg in args:
            if isinstance(arg, device_type) or (isinstance(arg, str) and
                                                arg.split(":")[0] in ("cpu", "cuda", "mps")):
                device = arg
            else:
                dtype = arg
        kind = None if device is None else device_type(device).type
        if kind not in (None, "cpu", "cuda"):
            raise RuntimeError(f"Module.to: device {str(device)!r} is not available to gradwork "
                               "(it runs on 'cpu', or 'cuda' through CuPy)")
        if kind == "cuda":
            cuda.require(f"Module.to({str(device)!r})")
        dtype = backend.as_dtype(dtype)
        for t in list(self.parameters()) + list(self.buffers()):
            for x in (t, t.grad):           # storage moved in place: optimisers keep the objects
                if x is None:
                    continue
                if kind is not None:
                    x._data = backend.to_device(x._data, kind)
                if dtype is not None and x._data.dtype.kind == "f":
                    x._data = x._data.astype(dtype)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device_type("cuda", device)
                       if isinstance(device, int) else device)

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    # ------------------------------------------------------------ state dicts
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name (PyTorch's keys)."""
        out = OrderedDict() if destination is None else destination
        # Unlike parameters(), a module shared under two names appears under both (as in PyTorch).
        stack = [(prefix.rstrip("."), self)]
        while stack:
            mod_name, m = stack.pop()
            stack.extend(reversed([(f"{mod_name}.{k}" if mod_name else k, c)
                                   for k, c in m._modules.items() if c is not None]))
            base = f"{mod_name}." if mod_name else ""
            for k, p in m._parameters.items():
                if p is not None:
                    out[base + k] = p if keep_vars else p.detach()
            for k, b in m._buffers.items():
                if b is not None and k not in m._non_persistent:
                    out[base + k] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors, arrays or torch tensors) into this module's parameters and
        buffers in place.

        Returns (missing_keys, unexpected_keys). Shape mismatches always raise; with
        strict=True, so do missing and unexpected keys. The error lists every problem."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched, values = [], {}
        for k, target in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            if isinstance(v, Tensor):
                arr = v._data
            elif hasattr(v, "detach"):           # a torch tensor, perhaps requiring grad
                arr = backend.np.asarray(v.detach().cpu())
            else:
                arr = backend.np.asarray(v)
            if tuple(arr.shape) != tuple(target.shape):
                mismatched.append(f"{k}: checkpoint shape {tuple(arr.shape)}, model shape "
                                  f"{tuple(target.shape)}")
            values[k] = arr
        if mismatched or (strict and (missing or unexpected)):
            lines = [f"Error(s) in loading state_dict for {type(self).__name__}:"]
            if missing:
                lines.append("  missing keys: " + ", ".join(missing))
            if unexpected:
                lines.append("  unexpected keys: " + ", ".join(unexpected))
            if mismatched:
                lines.append("  shape mismatches: " + "; ".join(mismatched))
            raise RuntimeError("\n".join(lines))
        with no_grad():
            for k, arr in values.items():
                target = own[k]
                # in place, cast to the model's dtype, copied to the model's device
                target._data[...] = backend.to_device(arr, backend.device_type(target._data))
                target._bump_version()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for k, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({k}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (extra + "\n" if extra else "\n")
        return head + "".join("  " + ln + "\n" for ln in lines) + ")"

    def __dir__(self):
        return sorted(set(super().__dir__()))
