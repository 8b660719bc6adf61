"""`gradwork.onnx.export`: a model and an example input → an ONNX file, as `torch.onnx.export`.

Needs the optional `onnx` package (`pip install gradwork[onnx]`). The graph is traced (see
graph.py): the model runs once on the example input in eval mode, each op is translated by
its mapping (ops.py), recurrent layers by theirs (recurrent.py). An op or layer without a
mapping is refused by name. The model is checked with `onnx.checker.check_model` before it
is written (atomically: a temporary file, then a rename).
"""
import os
import tempfile

from ..autograd import Tensor, no_grad
from ..errors import ArgumentError, MissingDependencyError
from ..serialization import atomic_write_bytes
from .graph import GraphBuilder, UnsupportedOperatorError, tracing

__all__ = ["export", "UnsupportedOperatorError"]


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError as e:        # the extra is installed in the tests; a test hides it
        raise MissingDependencyError("gradwork.onnx.export needs the onnx package: pip "
                                     "install 'gradwork[onnx]' (onnx==1.23.2)") from e
    return onnx


def _flatten(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    raise ArgumentError(f"gradwork.onnx.export: the model must return Tensors (or nested "
                        f"tuples of them), got {type(out).__name__}")


def _value_info(onnx, name, t, dynamic):
    dims = [dynamic.get(i, d) for i, d in enumerate(t.shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(t.dtype)
    return onnx.helper.make_tensor_value_info(name, elem, dims)


def _dynamic(dynamic_axes, name):
    spec = (dynamic_axes or {}).get(name, {})
    if isinstance(spec, (list, tuple)):
        return {int(a): f"{name}_dim{a}" for a in spec}
    return {int(a): str(v) for a, v in spec.items()}


def export(model, args, f, export_params=True, verbose=False, input_names=None,
           output_names=None, opset_version=17, dynamic_axes=None, check=True):
    """Trace `model(*args)` and write it to the path `f` as an ONNX model; returns the
    `onnx.ModelProto`.

    args: a Tensor or a tuple of Tensors (the example input). input_names / output_names:
    the graph's value names (default input, input_1, ... / output, output_1, ...; outputs
    nested in tuples, like an LSTM's (output, (h_n, c_n)), are flattened in order).
    dynamic_axes: {name: {axis: "symbol"}} or {name: [axis, ...]}, e.g. {"input": {0:
    "batch"}, "output": {0: "batch"}}. opset_version: 17 or later (ONNX's
    LayerNormalization). export_params must be True (the weights go in the file).
    """
    onnx = _import_onnx()
    if not export_params:
        raise ArgumentError("gradwork.onnx.export: export_params must be True, got False")
    if not isinstance(opset_version, int) or opset_version < 17:
        raise ArgumentError(f"gradwork.onnx.export: opset_version must be an int >= 17, got "
                            f"{opset_version!r}")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    if not args or not all(isinstance(a, Tensor) for a in args):
        raise ArgumentError("gradwork.onnx.export: args must be a Tensor or a tuple of Tensors")
    input_names = list(input_names or [])
    input_names += [f"input_{i}" if i else "input" for i in range(len(input_names), len(args))]
    g = GraphBuilder(onnx, opset_version, model)
    g.dynamic_batch = any(0 in _dynamic(dynamic_axes, n) for n in input_names)
    for name, a in zip(input_names, args):
        g.bind(a, name)
        g.used_names.add(name)
    names = {id(m): n for n, m in model.named_modules()}
    was_training = model.training
    model.eval()
    try:
        with no_grad(), tracing(g, _op_mappings(), _module_mappings(), names):
            out = model(*args)
    finally:
        model.train(was_training)
    outputs = _flatten(out)
    output_names = list(output_names or [])
    output_names += [f"output_{i}" if i else "output"
                     for i in range(len(output_names), len(outputs))]
    for name, t in zip(output_names, outputs):
        g.node("Identity", [g.value(t)], [name])
    graph = onnx.helper.make_graph(
        g.nodes, type(model).__name__,
        [_value_info(onnx, n, a, _dynamic(dynamic_axes, n)) for n, a in zip(input_names, args)],
        [_value_info(onnx, n, t, _dynamic(dynamic_axes, n)) for n, t in zip(output_names,
                                                                             outputs)],
        initializer=g.initializers)
    proto = onnx.helper.make_model(graph, producer_name="gradwork",
                                   opset_imports=[onnx.helper.make_opsetid("", opset_version)])
    if check:
        onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    atomic_write_bytes(os.fspath(f), proto.SerializeToString())
    return proto


def _op_mappings():
    from .ops import MAPPINGS
    return MAPPINGS


def _module_mappings():
    from .recurrent import MODULE_MAPPINGS
    return MODULE_MAPPINGS


