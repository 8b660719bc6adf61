"""The tape: `Function` nodes and the reverse pass over them.

A `Function` is one differentiable op. `forward` works on arrays and stores on `self`
only what `backward` reads; `backward` receives one gradient array per output and returns
one per input (None where the input needs none). Nodes point to the nodes that made
their inputs (never to the input tensors), so activations that no backward needs are
freed as soon as forward moves on, and what a node saved is dropped once its backward ran.

This module owns the node type and the engine; `Tensor` (tensor.py) imports nothing from
it: `Tensor.backward` hands itself to the node that made it (`node.run_backward`).
"""
import itertools
from heapq import heappop as _heappop
from heapq import heappush as _heappush

from ..backend import array_module
from ..backend import np as _np
from . import hooks as _hooks
from .grad_mode import _state as _grad_state
from .tensor import Tensor

_GENERIC, _SCALAR_TO_ARRAY, _NDARRAY = _np.generic, _np.asarray, _np.ndarray
_new, _make = object.__new__, Tensor._make
_NO_GRAD = tuple((False,) * n for n in range(8))     # needs_input_grad of an unrecorded op
_NO_GRAD1, _NO_GRAD2, _GRAD1 = _NO_GRAD[1], _NO_GRAD[2], (True,)
_NEEDS2 = (((False, False), (False, True)), ((True, False), (True, True)))  # shared, not made
_SEQ = itertools.count()
# The maker recorded for a node's own output in its version checks: not the node itself, which
# would make a reference cycle (node → versions → node) and keep an unused graph, and what it
# saved, alive until the cyclic GC runs.
_OWN = object()


def _same_device(inputs, arrays):
    """`arrays` all on one device, as PyTorch requires: a 0-d CPU tensor that needs no gradient
    joins a GPU op (copied there, as PyTorch lets CPU scalars do); any other mix is refused."""
    where = [(t, a, array_module(a) is _np) for t, a in zip(inputs, arrays) if a is not None]
    if all(cpu for _, _, cpu in where) or not any(cpu for _, _, cpu in where):
        return arrays
    xp = next(array_module(a) for _, a, cpu in where if not cpu)
    first = next(t for t, _, cpu in where if not cpu)
    for t, a, cpu in where:
        if cpu and (a.ndim != 0 or t.requires_grad):
            pair = (first.device, "cpu") if where[0][2] is False else ("cpu", first.device)
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {pair[0]} and {pair[1]}!")
    return [a if a is None or array_module(a) is xp else xp.asarray(a) for a in arrays]


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
    # Which inputs need a gradient (one bool per input); all False when not recorded.
    needs_input_grad = ()
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
        """Run the op on Tensors (None allowed for absent optional inputs). The hot path of
        every op: one or two Tensors on NumPy arrays are read without a loop or a list, no
        per-op dictionaries, the output Tensor built inline, and nothing of the tape's
        bookkeeping when no input requires grad."""
        fn = cls()
        n = len(inputs)
        if n == 2:
            a, b = inputs
            if a is not None and b is not None and type(a._data) is _NDARRAY \
                    and type(b._data) is _NDARRAY:
                ra, rb = a.requires_grad, b.requires_grad
                record = (ra or rb) and _grad_state.enabled
                if record:
                    fn.seq = next(_SEQ)         # creation order: the backward sweep's order
                    fn.needs_input_grad = \
                        _NEEDS2[ra][rb] if type(ra) is bool is type(rb) else (ra, rb)
                else:
                    fn.needs_input_grad = _NO_GRAD2
                out = fn.forward(a._data, b._data, **params) if params else \
                    fn.forward(a._data, b._data)
            else:
                out, record = fn._forward_any(inputs, params)
        elif n == 1 and inputs[0] is not None and type(inputs[0]._data) is _NDARRAY:
            a = inputs[0]
            record = a.requires_grad and _grad_state.enabled
            if record:
                fn.seq = next(_SEQ)
                fn.needs_input_grad = _GRAD1
            else:
                fn.needs_input_grad = _NO_GRAD1
            out = fn.forward(a._data, **params) if params else fn.forward(a._data)
        else:
            out, record = fn._forward_any(inputs, params)
        if type(out) is not _NDARRAY:
            if type(out) is tuple:
                return fn._outputs(out, record, inputs)
            if isinstance(out, _GENERIC):       # NumPy reductions and 0-d ufuncs give scalars
                out = _SCALAR_TO_ARRAY(out)
        res = _new(Tensor)          # Tensor._make, inlined (one store a statement: no tuple)
        res._data = out
        res.grad = None
        res._idx = 0
        res._vbox = None
        res._base = None
        if cls.is_view:                         # a view shares its base's storage and counter
            base = inputs[0]
            res._vbox, res._base = base._version_box(), \
                base if base._base is None else base._base
        if not record:
            res.requires_grad = False
            res._ctx = None
            return res
        res.requires_grad = out.dtype.kind == "f"
        res._ctx = fn
        # The tape record (as _record, inlined for the one-output case): where each input's
        # gradient goes and the version counters to check at backward time.
        edges, versions = [], []
        saves = cls.needs_inputs
        for t in inputs:
            if t is None:
                edges.append(None)
                continue
            if saves:
                box, d = t._vbox, t._data
                if box is None:
                    box = t._vbox = [0]
                versions.append((box, box[0], d.shape, d.dtype, t._ctx, t._idx))
            ctx = t._ctx        # an edge: None, the leaf, the node that made t, or (node, i)
            edges.append(None if not t.requires_grad else t if ctx is None else
                         ctx if ctx.out_meta is None else (ctx, t._idx))
        if cls.needs_output:
            box = res._vbox
            if box is None:
                box = res._vbox = [0]
            versions.append((box, box[0], out.shape, out.dtype, _OWN, 0))
        fn.edges = edges
        if versions:
            fn.versions = versions
        return res

    def _forward_any(self, inputs, params):
        """`forward` on any inputs: absent ones (None), more than two, arrays of another
        device (a 0-d CPU constant joins a GPU op; any other mix is refused)."""
        arrays, needs, record, foreign = [], [], False, False
        for t in inputs:
            if t is None:
                arrays.append(None)
                needs.append(False)
            else:
                arrays.append(t._data)
                if type(t._data) is not _NDARRAY:
                    foreign = True
                needs.append(t.requires_grad)
                if t.requires_grad:
                    record = True
        if foreign and len(arrays) > 1:
            arrays = _same_device(inputs, arrays)
        if record and _grad_state.enabled:
            self.seq = next(_SEQ)               # creation order: the backward sweep's order
            self.needs_input_grad = tuple(needs)
        else:
            record = False
            n = len(inputs)
            self.needs_input_grad = _NO_GRAD[n] if n < 8 else (False,) * n
        return self.forward(*arrays, **params), record

    def _outputs(self, out, record, inputs):
        """The Tensors of a multi-output op (`forward` returned a tuple of arrays)."""
        out = tuple(_SCALAR_TO_ARRAY(o) if isinstance(o, _GENERIC) else o for o in out)
        if not record:
            return tuple(_make(o, False, None, 0) for o in out)
        self.out_meta = tuple((o.shape, o.dtype) for o in out)
        res = tuple(_make(o, o.dtype.kind == "f", self, i) for i, o in enumerate(out))
        self._record(inputs, res)
        return res

    def _record(self, inputs, outputs):
        """Where each input's gradient goes (its producing node, the leaf itself, or nowhere),
        and the version counters to check at backward time for what the op saved."""
        edges, versions, saves = [], [], self.needs_inputs
        for t in inputs:
            if t is None:
                edges.append(None)
                continue
            if saves:
                box, d = t._vbox, t._data        # (shape and dtype: for the error message)
                if box is None:
                    box = t._vbox = [0]
                versions.append((box, box[0], d.shape, d.dtype, t._ctx, t._idx))
            if not t.requires_grad:
                edges.append(None)
            elif t._ctx is None:
                edges.append(t)                 # leaf: accumulate into t.grad
            elif t._ctx.out_meta is None:
                edges.append(t._ctx)            # the node that made t (its only output)
            else:
                edges.append((t._ctx, t._idx))  # output t._idx of a multi-output node
        if self.needs_output:       # backward reads the output: guard it against in-place changes
            for o in outputs:
                box = o._version_box()
                versions.append((box, box[0], o._data.shape, o._data.dtype, _OWN, o._idx))
        self.edges = edges
        if versions:
            self.versions = versions

    def release(self):
        """Drop everything saved for backward; a second backward then raises."""
        self.__dict__ = {"freed": True}

    def run_backward(self, root, grad, retain_graph=False):
        """The reverse sweep from `root`, an output of this node (see run_backward)."""
        run_backward(root, grad, retain_graph)


def _check_versions(node):
    for box, seen, shape, dtype, maker, idx in node.versions:
        if box[0] != seen:
            maker = node if maker is _OWN else maker
            who = "a leaf" if maker is None else f"output {idx} of {type(maker).__name__}"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{dtype} tensor of shape {list(shape)}], which is {who}, is "
                f"at version {box[0]}; expected version {seen} instead. Hint: the backward of "
                f"{type(node).__name__} needed it; use the out-of-place form, or .clone() the "
                "tensor before changing it.")


def run_backward(root_tensor, grad, retain_graph=False):
    """Reverse-mode sweep from `root_tensor` seeded with `grad` (an array).

    Nodes run in decreasing creation number (`seq`, given by `apply`): a node is always made
    after the nodes that made its inputs, so this is a topological order of the graph, taken
    from a heap of the nodes that have received a gradient (PyTorch's engine orders its ready
    queue the same way) instead of a traversal of the whole graph first."""
    root = root_tensor._ctx
    if root.out_meta is None:       # pending: a one-output node's gradient, or a list of them
        _slots(root)                # (raises if the graph was freed)
        pending = {root: grad}
    else:
        pending = {root: _slots(root)}
        pending[root][root_tensor._idx] = grad
    # The nodes waiting for their backward: a heap of (−seq, node), except that while the heap
    # is empty the one waiting node is held in `nxt` instead (a chain never touches the heap).
    heap, nxt = [], root
    handed_out = {id(grad)}         # the seed may be the caller's array: never store it as .grad
    # id(leaf) → [leaf, the sum of the gradients that reached it]: as PyTorch's AccumulateGrad
    # with its input buffer, a leaf's .grad is added to once per pass (at the end; a leaf with
    # hooks as soon as its last edge has been swept, see _release_uses).
    leaves = {}
    uses = _hooked_leaf_uses(root) if _hooks.LEAF_HOOKS or _hooks.POST_ACCUMULATE_HOOKS else {}
    _hooks._RUNNING[0] += 1
    try:
        while True:
            if nxt is not None:
                node = nxt
                nxt = None
            elif heap:
                node = _heappop(heap)[1]
            else:
                break
            gouts = pending.pop(node)
            for v in node.versions:
                if v[0][0] != v[1]:
                    _check_versions(node)
            if node.out_meta is None:
                if node.hooks or node.retained:
                    gouts = _output_grads(node, [gouts])[0]
                gins = node.backward(gouts)
            else:
                gins = node.backward(*_output_grads(node, gouts))
            if type(gins) is not tuple:
                gins = (gins,)
            edges = node.edges
            if not retain_graph:
                node.__dict__ = {"freed": True}     # node.release(), inlined
            for e, g in zip(edges, gins):
                if e is None or g is None:
                    continue
                if type(e) is tuple:                # (node, output index): several outputs
                    ctx, idx = e
                    slots = pending.get(ctx)
                    if slots is None:
                        slots = pending[ctx] = _slots(ctx)
                        if nxt is not None:
                            _heappush(heap, (-nxt.seq, nxt))
                            nxt = None
                        _heappush(heap, (-ctx.seq, ctx))
                    slots[idx] = g if slots[idx] is None else slots[idx] + g
                elif isinstance(e, Function):       # the node that made the input (one output)
                    acc = pending.get(e)
                    if acc is None:
                        if e.freed:
                            _slots(e)
                        pending[e] = g
                        if nxt is None and not heap:
                            nxt = e
                        else:
                            if nxt is not None:
                                _heappush(heap, (-nxt.seq, nxt))
                                nxt = None
                            _heappush(heap, (-e.seq, e))
                    else:
                        pending[e] = acc + g
                else:                               # a leaf
                    acc = leaves.get(id(e))
                    if acc is None:
                        leaves[id(e)] = [e, g]
                    elif g.shape != acc[1].shape:
                        raise RuntimeError(f"internal error: gradient of shape {g.shape} for a "
                                           f"leaf of shape {e._data.shape}")
                    else:
                        acc[1] = acc[1] + g
            if uses:
                _release_uses(edges, leaves, uses, handed_out)
        for t, g in leaves.values():    # every leaf without hooks, and hooked leaves still held
            _accumulate_leaf(t, g, handed_out)
    finally:
        _hooks._RUNNING[0] -= 1
    if not _hooks._RUNNING[0]:
        _hooks.run_callbacks()


def _output_grads(node, gouts):
    """The gradients of the node's outputs, as its backward takes them: zeros for the outputs
    no gradient reached (several outputs), the tensor hooks applied, retained .grads stored."""
    if node.out_meta is not None:
        xp = array_module(*[g for g in gouts if g is not None])
        gouts = [xp.zeros(s, d) if g is None else g for g, (s, d) in zip(gouts, node.out_meta)]
    if node.hooks:
        gouts = _hooks.apply_node_hooks(node, list(gouts))
    for idx, t in node.retained:
        if gouts[idx] is not None:
            t.grad = Tensor(gouts[idx].copy() if t.grad is None else t.grad._data + gouts[idx])
    return gouts


def _hooked_leaf_uses(root):
    """id(leaf) → how many edges of the graph below `root` lead to it, for the leaves with
    hooks: a hooked leaf's gradient is complete (and its hooks run) once its last edge has been
    swept; edges of nodes that receive no gradient keep it held to the end of the sweep."""
    uses, seen, stack = {}, {root}, [root]
    while stack:
        for e in stack.pop().edges:
            if e is None:
                continue
            if isinstance(e, Tensor):
                if _hooks.is_hooked_leaf(id(e)):
                    uses[id(e)] = uses.get(id(e), 0) + 1
                continue
            ctx = e[0] if type(e) is tuple else e
            if ctx not in seen:
                seen.add(ctx)
                stack.append(ctx)
    return uses


def _release_uses(edges, held, uses, handed_out):
    """Count down the hooked leaves' uses; a leaf whose last use is done is hooked and
    accumulated now (so that DistributedDataParallel can start reducing it mid-backward)."""
    for e in edges:
        if not isinstance(e, Tensor) or id(e) not in uses:
            continue
        uses[id(e)] -= 1
        if not uses[id(e)] and id(e) in held:
            _accumulate_leaf(*held.pop(id(e)), handed_out)


def _slots(node):
    if node.freed:
        raise RuntimeError(
            "Trying to backward through the graph a second time (or directly access saved "
            "tensors after they have already been freed). Saved intermediate values of the "
            "graph are freed when you call .backward(); specify retain_graph=True on the "
            "first backward if you need to backward through it again.")
    return [None] * (1 if node.out_meta is None else len(node.out_meta))


def _accumulate_leaf(t, g, handed_out):
    """Run the leaf's gradient hooks, add g into its `.grad`, then its post-accumulate hooks."""
    if id(t) in _hooks.LEAF_HOOKS:
        g = _hooks.apply_leaf_hooks(t, g)
    t._accumulate_grad(g, handed_out)
    if id(t) in _hooks.POST_ACCUMULATE_HOOKS:
        _hooks.apply_post_accumulate_hooks(t)
