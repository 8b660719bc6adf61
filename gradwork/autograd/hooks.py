"""Gradient hooks (`Tensor.register_hook`) and the handle every hook registration returns.

PyTorch's semantics: `hook(grad)` runs when the gradient with respect to the tensor has been
computed (for a leaf: the total over every use, once, before it is added to `.grad`); a
returned Tensor replaces the gradient for the rest of the backward pass; None keeps it.
Hooks run in registration order, before `retain_grad` stores `.grad`.

Also PyTorch's `register_post_accumulate_grad_hook` (`hook(leaf)` once the leaf's `.grad`
holds this backward's total: what DistributedDataParallel listens to) and the engine's
`queue_callback` (`fn()` once the running backward pass has finished).
"""
import itertools
import weakref

# id(leaf) → (weakref to the leaf, {key: hook}); the entry goes when the leaf is collected.
# (Keyed by id, not by the tensor: a Tensor's == is elementwise.)
LEAF_HOOKS = {}
POST_ACCUMULATE_HOOKS = {}      # the same layout, for post-accumulate-grad hooks
CALLBACKS = []                  # queue_callback's functions, run when the backward ends
_RUNNING = [0]                  # how many backward passes are running (nested: > 1)
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
        hooks = _leaf_entry(LEAF_HOOKS, t)
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


def _leaf_entry(table, t):
    """The {key: hook} dict of leaf `t` in `table`, created on first use."""
    key = id(t)
    entry = table.get(key)
    if entry is None or entry[0]() is not t:
        entry = table[key] = (weakref.ref(t, lambda _, k=key: table.pop(k, None)), {})
    return entry[1]


def register_post_accumulate_grad_hook(t, hook):
    """Register `hook(t)` to run after the gradient of leaf `t` has been accumulated into
    `t.grad` (once per backward pass, after every use of `t`); return a RemovableHandle."""
    if t._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not t.requires_grad:
        raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                           "tensor that doesn't require gradient")
    hooks = _leaf_entry(POST_ACCUMULATE_HOOKS, t)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def is_hooked_leaf(key):
    """Whether the leaf with id `key` has gradient or post-accumulate hooks (the engine then
    sums its gradient over every use before hooking and accumulating it, once)."""
    return key in LEAF_HOOKS or key in POST_ACCUMULATE_HOOKS


def apply_post_accumulate_hooks(t):
    entry = POST_ACCUMULATE_HOOKS.get(id(t))
    if entry is not None and entry[0]() is t:
        for hook in list(entry[1].values()):
            hook(t)


def queue_callback(fn):
    """Run `fn()` once the backward pass now running has finished (every leaf's `.grad` is
    written): PyTorch's `Variable._execution_engine.queue_callback`. Only during backward."""
    if not _RUNNING[0]:
        raise RuntimeError("queue_callback: no backward pass is running (call it from a hook)")
    CALLBACKS.append(fn)


def run_callbacks():
    """Called by the engine when a backward pass ends: the queued callbacks, in order."""
    while CALLBACKS:
        CALLBACKS.pop(0)()


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
