"""The tape: `Function` nodes and the reverse pass over them.

A `Function` is one differentiable op. `forward` works on arrays and stores on `self`
only what `backward` reads; `backward` receives one gradient array per output and returns
one per input (None where the input needs none). Nodes point to the nodes that made
their inputs (never to the input tensors), so activations that no backward needs are
freed as soon as forward moves on, and what a node saved is dropped once its backward ran.
"""
from ..backend import array_module, np as _np
from . import hooks as _hooks
from .grad_mode import is_grad_enabled

_GENERIC, _SCALAR_TO_ARRAY = _np.generic, _np.asarray


class Function:
    """Base class of every differentiable op."""

    # Set False on ops whose backward never reads their inputs (add, reshape, ...), so that
    # later in-place changes to those inputs are not reported as errors.
    needs_inputs = True
    # Set True on ops whose backward reads their own output (exp, tanh, softmax, ...), so
    # that in-place changes to that output are reported at backward time.
    needs_output = False
    # Ops whose output is a view of the first input share its version counter.
    is_view = False
    # Until release(): a multi-output op sets out_meta to its outputs' (shape, dtype).
    out_meta = None
    freed = False
    edges = versions = retained = hooks = ()

    def forward(self, *arrays, **params):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, *grads):  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors (None allowed for absent optional inputs)."""
        fn = cls()
        arrays, needs, record = [], [], False
        for t in inputs:
            if t is None:
                arrays.append(None)
                needs.append(False)
            else:
                arrays.append(t.data)
                needs.append(t.requires_grad)
                if t.requires_grad:
                    record = True
        record = record and is_grad_enabled()
        if record:
            fn.needs_input_grad = tuple(needs)
        out = fn.forward(*arrays, **params)
        if type(out) is tuple:
            out = tuple(_SCALAR_TO_ARRAY(o) if isinstance(o, _GENERIC) else o for o in out)
            if not record:
                return tuple(Tensor._make(o, False, None, 0) for o in out)
            fn.out_meta = tuple((o.shape, o.dtype) for o in out)
            res = tuple(Tensor._make(o, o.dtype.kind == "f", fn, i) for i, o in enumerate(out))
        else:
            if isinstance(out, _GENERIC):       # NumPy reductions and 0-d ufuncs give scalars
                out = _SCALAR_TO_ARRAY(out)
            res = Tensor._make(out, record and out.dtype.kind == "f", fn if record else None, 0)
            if cls.is_view:
                res._version = inputs[0]._version
            if not record:
                return res
        # Where each input's gradient goes: its producing node, the leaf itself, or nowhere.
        edges, versions = [], []
        for t in inputs:
            if t is None:
                edges.append(None)
                continue
            if cls.needs_inputs:
                versions.append((t._version, t._version[0]))
            if not t.requires_grad:
                edges.append(None)
            elif t._ctx is None:
                edges.append(t)                 # leaf: accumulate into t.grad
            else:
                edges.append((t._ctx, t._idx))
        fn.edges = edges
        if cls.needs_output:        # backward reads the output: guard it against in-place changes
            for o in (res if type(res) is tuple else (res,)):
                versions.append((o._version, o._version[0]))
        if versions:
            fn.versions = versions
        return res

    def release(self):
        """Drop everything saved for backward; a second backward then raises."""
        self.__dict__.clear()
        self.freed = True


def _check_versions(node):
    for box, seen in node.versions:
        if box[0] != seen:
            raise RuntimeError(
                f"backward of {type(node).__name__}: one of the tensors it saved has been "
                f"modified by an in-place operation (version {box[0]}, expected {seen}); "
                "use the out-of-place form or clone() before modifying")


def _topological_order(root):
    """Nodes reachable from `root`, each after every node that consumes it (iterative DFS)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for e in node.edges:
            if type(e) is tuple and e[0] not in seen:
                stack.append((e[0], False))
    order.reverse()
    return order


def run_backward(root_tensor, grad, retain_graph=False):
    """Reverse-mode sweep from `root_tensor` seeded with `grad` (an array)."""
    root = root_tensor._ctx
    pending = {root: _slots(root)}
    pending[root][root_tensor._idx] = grad
    handed_out = {id(grad)}         # the seed may be the caller's array: never store it as .grad
    held = {}                       # leaves with hooks: summed over every use, then hooked once
    for node in _topological_order(root):
        gouts = pending.pop(node, None)
        if gouts is None:
            continue
        if node.versions:
            _check_versions(node)
        if node.out_meta is not None:
            xp = array_module(*[g for g in gouts if g is not None])
            gouts = [xp.zeros(s, d) if g is None else g for g, (s, d) in zip(gouts, node.out_meta)]
        if node.hooks:
            gouts = _hooks.apply_node_hooks(node, list(gouts))
        for idx, t in node.retained:
            if gouts[idx] is not None:
                t.grad = Tensor(gouts[idx].copy() if t.grad is None else t.grad.data + gouts[idx])
        gins = node.backward(*gouts)
        if type(gins) is not tuple:
            gins = (gins,)
        edges = node.edges
        if not retain_graph:
            node.release()
        for e, g in zip(edges, gins):
            if e is None or g is None:
                continue
            if type(e) is tuple:
                ctx, idx = e
                slots = pending.get(ctx)
                if slots is None:
                    slots = pending[ctx] = _slots(ctx)
                slots[idx] = g if slots[idx] is None else slots[idx] + g
            elif id(e) in _hooks.LEAF_HOOKS:
                held[id(e)] = (e, g if id(e) not in held else held[id(e)][1] + g)
            else:
                _accumulate_leaf(e, g, handed_out)
    for t, g in held.values():
        _accumulate_leaf(t, g, handed_out)


def _slots(node):
    if node.freed:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward(); specify retain_graph=True on the "
            "first backward if you need to backward through it again.")
    return [None] * (1 if node.out_meta is None else len(node.out_meta))


def _accumulate_leaf(t, g, handed_out):
    if id(t) in _hooks.LEAF_HOOKS:
        g = _hooks.apply_leaf_hooks(t, g)
    if g.shape != t.data.shape:
        raise RuntimeError(f"internal error: gradient of shape {g.shape} for a leaf of shape "
                           f"{t.data.shape}")
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    if t.grad is None:
        # The same array may reach several leaves (add's backward passes it through) or be a
        # view of something larger; copy so that in-place updates of one .grad stay local.
        if not g.flags.owndata or id(g) in handed_out:
            g = g.copy()
        handed_out.add(id(g))
        t.grad = Tensor(g)
    else:
        t.grad.data = t.grad.data + g


from .tensor import Tensor  # noqa: E402  (tensor imports Function's module lazily)
