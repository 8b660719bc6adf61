"""Recording a forward pass as an ONNX graph.

Export traces: it runs the model once on the example input with every differentiable op
(`Function.apply`) and every module call intercepted. Each op that runs is translated on the
spot into ONNX nodes by its mapping in `ops.py` (and recurrent layers, whose ONNX ops are
whole layers, by their module mapping in `recurrent.py`, with the ops inside them not
recorded). Tensors are known by identity: the example input becomes the graph input,
parameters and buffers become initializers under their state_dict names, any other tensor
that appears from outside the trace becomes a constant. Like every tracer (torch.jit.trace
too), the graph is the path this input took: Python control flow that depends on values
is frozen.
"""
import contextlib

from ..autograd import Function, Tensor
from ..backend import np
from ..errors import GradworkError
from ..nn.module import Module


class UnsupportedOperatorError(GradworkError, NotImplementedError):
    """A layer or op that has no ONNX mapping (named in the message)."""


class GraphBuilder:
    """Nodes, initializers and the names of the values flowing between them."""

    def __init__(self, onnx, opset, model):
        self.onnx, self.opset = onnx, opset
        self.nodes, self.initializers = [], []
        self.names, self.keep = {}, []
        self.used_names, self.count = set(), 0
        self.known = {}
        for prefix, items in (("", model.named_parameters()), ("", model.named_buffers())):
            for name, t in items:
                self.known[id(t)] = (prefix + name, t)
        self.stack = []             # module path of the op being recorded
        self.dynamic_batch = False
        self.pool_indices = {}      # id(indices tensor) → (ONNX MaxPool indices, attrs, plane)

    # ---------------------------------------------------------------- names
    def fresh(self, hint):
        self.count += 1
        name = f"{hint}_{self.count}"
        self.used_names.add(name)
        return name

    def bind(self, tensor, name):
        self.names[id(tensor)] = name
        self.keep.append(tensor)            # ids stay unique while the trace lives
        return name

    def value(self, t):
        """The ONNX name of tensor t (an initializer or a constant if the trace never saw it)."""
        if t is None:
            return ""
        name = self.names.get(id(t))
        if name is not None:
            return name
        if id(t) in self.known:
            name, src = self.known[id(t)]
            self.initializers.append(self.onnx.numpy_helper.from_array(
                np.ascontiguousarray(src._data), name))
            self.used_names.add(name)
            return self.bind(t, name)
        return self.bind(t, self.const(t._data, "const"))

    def array(self, arr):
        """The name of a raw array handed to an op as a parameter (running statistics ...):
        its buffer's name if it is one, else a new constant."""
        for name, src in self.known.values():
            if src._data is arr:
                if name not in self.used_names:
                    self.initializers.append(self.onnx.numpy_helper.from_array(
                        np.ascontiguousarray(arr), name))
                    self.used_names.add(name)
                return name
        return self.const(arr, "const")

    def const(self, arr, hint="const"):
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(
            np.ascontiguousarray(np.asarray(arr)), name))
        return name

    def ints(self, values, hint="shape"):
        return self.const(np.asarray(values, dtype=np.int64), hint)

    # ---------------------------------------------------------------- nodes
    def node(self, op, inputs, outputs=None, n_out=1, **attrs):
        """Add a node; `outputs`: Tensors to bind, names, or None for fresh names."""
        if outputs is None:
            outputs = [self.fresh(op.lower()) for _ in range(n_out)]
        names = [self.bind(o, self.fresh(op.lower())) if isinstance(o, Tensor) else o
                 for o in outputs]
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), names,
                                                     name=self.fresh(op), **attrs))
        return names[0] if len(names) == 1 else names

    def where(self):
        if not self.stack:
            return "the model's forward"
        path, cls = self.stack[-1]
        return f"layer {path or '(root)'!r} ({cls})"


@contextlib.contextmanager
def tracing(builder, op_mappings, module_mappings, module_names):
    """Intercept Function.apply and Module.__call__ for the duration of one forward."""
    original_apply = Function.__dict__["apply"]
    original_call = Module.__call__
    suspended = [0]

    def apply(cls, *inputs, **params):
        out = original_apply.__func__(cls, *inputs, **params)
        if suspended[0]:
            return out
        mapping = op_mappings.get(cls)
        if mapping is None:
            raise UnsupportedOperatorError(
                f"gradwork.onnx.export: {builder.where()} uses the op {cls.__name__} "
                f"({cls.__module__}), which has no ONNX mapping")
        mapping(builder, _Call(cls, inputs, params, out))
        return out

    def call(module, *args, **kwargs):
        path = module_names.get(id(module), type(module).__name__)
        handler = module_mappings.get(type(module))
        builder.stack.append((path, type(module).__name__))
        try:
            if handler is None or suspended[0]:
                return original_call(module, *args, **kwargs)
            suspended[0] += 1
            try:
                out = original_call(module, *args, **kwargs)
            finally:
                suspended[0] -= 1
            handler(builder, module, args, kwargs, out)
            return out
        finally:
            builder.stack.pop()

    Function.apply = classmethod(apply)
    Module.__call__ = call
    try:
        yield
    finally:
        Function.apply = original_apply
        Module.__call__ = original_call


class _Call:
    """One recorded op: its class, input tensors, keyword parameters and outputs."""

    def __init__(self, cls, inputs, params, out):
        self.cls, self.inputs, self.params = cls, inputs, params
        self.outputs = list(out) if isinstance(out, tuple) else [out]
