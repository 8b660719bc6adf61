"""Gradient hooks (`Tensor.register_hook`) and the handle every hook registration returns.

PyTorch's semantics: `hook(grad)` runs when the gradient with respect to the tensor has been
computed (for a leaf: the total over every use, once, before it is added to `.grad`); a
returned Tensor replaces the gradient for the rest of the backward pass; None keeps it.
Hooks run in registration order, before `retain_grad` stores `.grad`.
"""
import itertools
import weakref

# id(leaf) → (weakref to the leaf, {key: hook}); the entry goes when the leaf is collected.
# (Keyed by id, not by the tensor: a Tensor's == is elementwise.)
LEAF_HOOKS = {}
_KEYS = itertools.count()


class RemovableHandle:
    """What `register_*hook` returns: `remove()` unregisters the hook (idempotent); also a
    context manager that removes it on exit."""

    def __init__(self, hooks):
        self.hooks, self.id = hooks, next(_KEYS)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_tensor_hook(t, hook):
    """Register `hook(grad) -> Tensor or None` on tensor `t`; return a RemovableHandle."""
    if not t.requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                           "require gradient")
    if t._ctx is None:
        key = id(t)
        entry = LEAF_HOOKS.get(key)
        if entry is None or entry[0]() is not t:
            entry = LEAF_HOOKS[key] = (weakref.ref(t, lambda _, k=key: LEAF_HOOKS.pop(k, None)),
                                       {})
        hooks = entry[1]
    else:
        node = t._ctx
        found = [h for i, h in node.hooks if i == t._idx]
        if found:
            hooks = found[0]
        else:
            hooks = {}
            node.hooks = list(node.hooks) + [(t._idx, hooks)]
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _call(hooks, g):
    from .tensor import Tensor
    for hook in list(hooks.values()):
        result = hook(Tensor._make(g, False, None, 0))
        if result is None:
            continue
        new = result._data if isinstance(result, Tensor) else result
        if tuple(new.shape) != tuple(g.shape):
            raise RuntimeError(f"hook returned a gradient of shape {tuple(new.shape)}, expected "
                               f"{tuple(g.shape)}")
        g = new.astype(g.dtype, copy=False)
    return g


def apply_node_hooks(node, gouts):
    """Run the hooks of the node's outputs on their gradients (a list, changed in place)."""
    for idx, hooks in node.hooks:
        if gouts[idx] is not None and hooks:
            gouts[idx] = _call(hooks, gouts[idx])
    return gouts


def apply_leaf_hooks(t, g):
    entry = LEAF_HOOKS.get(id(t))
    if entry is None or entry[0]() is not t or not entry[1]:
        return g
    return _call(entry[1], g)
