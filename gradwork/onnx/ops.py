"""Op mappings: one gradwork `Function` (with its inputs and parameters as recorded) → ONNX
nodes (opset ≥ 17). Each mapping is a function `(graph, call)` that emits nodes and binds
the op's output tensors to their ONNX names."""
import math

from ..backend import np
from ..ops import (
    activation,
    arithmetic,
    compare,
    conv,
    dropout,
    index,
    join,
    norm,
    pad,
    pool,
    reduce,
    shape,
    unary,
)
from ..ops.matmul import Linear, MatMul
from .graph import UnsupportedOperatorError

MAPPINGS = {}


def maps(*classes):
    def add(fn):
        for cls in classes:
            MAPPINGS[cls] = fn
        return fn
    return add


def _x(g, c, i=0):
    return g.value(c.inputs[i])


def _scalar(g, c, value):
    """A scalar constant of the op's dtype."""
    return g.const(np.asarray(value, dtype=c.outputs[0].dtype), "scalar")


def _simple(op, **attrs):
    def emit(g, c):
        g.node(op, [g.value(t) for t in c.inputs], c.outputs, **attrs)
    return emit


for _cls, _op in ((activation.ReLU, "Relu"), (activation.Tanh, "Tanh"),
                  (activation.Sigmoid, "Sigmoid"), (arithmetic.Add, "Add"),
                  (arithmetic.Sub, "Sub"), (arithmetic.Mul, "Mul"), (arithmetic.Div, "Div"),
                  (arithmetic.Pow, "Pow"), (arithmetic.Neg, "Neg"), (unary.Exp, "Exp"),
                  (unary.Log, "Log"), (unary.Sqrt, "Sqrt"), (unary.Abs, "Abs"),
                  (unary.Sin, "Sin"), (unary.Cos, "Cos"), (unary.Sign, "Sign"),
                  (MatMul, "MatMul"), (compare.Maximum, "Max"),
                  (compare.Minimum, "Min"), (compare.Where, "Where"),
                  (activation.Hardswish, "HardSwish")):
    MAPPINGS[_cls] = _simple(_op)


@maps(activation.LeakyReLU)
def _leaky_relu(g, c):
    g.node("LeakyRelu", [_x(g, c)], c.outputs, alpha=float(c.params["slope"]))


@maps(activation.ELU)
def _elu(g, c):
    g.node("Elu", [_x(g, c)], c.outputs, alpha=float(c.params["alpha"]))


@maps(activation.SELU)
def _selu(g, c):
    g.node("Selu", [_x(g, c)], c.outputs, alpha=activation.SELU_ALPHA,
           gamma=activation.SELU_SCALE)


@maps(activation.PReLU)
def _prelu(g, c):
    x, a = c.inputs
    slope = g.value(a)
    if a.shape[0] > 1 and x.ndim > 2:               # (C,) → (C, 1, ..., 1): broadcast on dim 1
        slope = g.node("Reshape", [slope, g.ints([a.shape[0]] + [1] * (x.ndim - 2))])
    g.node("PRelu", [g.value(x), slope], c.outputs)


@maps(activation.Softplus)
def _softplus(g, c):
    beta = float(c.params["beta"])
    if beta == 1.0:
        g.node("Softplus", [_x(g, c)], c.outputs)
        return
    bx = g.node("Mul", [_x(g, c), _scalar(g, c, beta)])
    g.node("Div", [g.node("Softplus", [bx]), _scalar(g, c, beta)], c.outputs)


@maps(activation.GELU)
def _gelu(g, c):
    x = _x(g, c)
    if c.params["approximate"] == "tanh":   # x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, _scalar(g, c, 0.044715)])])
        t = g.node("Tanh", [g.node("Mul", [inner, _scalar(g, c, math.sqrt(2 / math.pi))])])
    else:                                   # x/2 (1 + erf(x/√2))
        t = g.node("Erf", [g.node("Mul", [x, _scalar(g, c, 1 / math.sqrt(2))])])
    half = g.node("Mul", [x, _scalar(g, c, 0.5)])
    g.node("Mul", [half, g.node("Add", [t, _scalar(g, c, 1.0)])], c.outputs)


@maps(activation.SiLU)
def _silu(g, c):
    x = _x(g, c)
    g.node("Mul", [x, g.node("Sigmoid", [x])], c.outputs)


@maps(activation.Mish)
def _mish(g, c):
    x = _x(g, c)
    g.node("Mul", [x, g.node("Tanh", [g.node("Softplus", [x])])], c.outputs)


@maps(activation.Softmax, activation.LogSoftmax)
def _softmax(g, c):
    op = "Softmax" if c.cls is activation.Softmax else "LogSoftmax"
    g.node(op, [_x(g, c)], c.outputs, axis=int(c.params["dim"]))


# ---------------------------------------------------------------- scalars
@maps(arithmetic.AddScalar, arithmetic.MulScalar, arithmetic.PowScalar)
def _with_scalar(g, c):
    op = {arithmetic.AddScalar: "Add", arithmetic.MulScalar: "Mul",
          arithmetic.PowScalar: "Pow"}[c.cls]
    g.node(op, [_x(g, c), _scalar(g, c, c.params["c"])], c.outputs)


@maps(arithmetic.RSubScalar, arithmetic.RDivScalar, arithmetic.RPowScalar)
def _scalar_with(g, c):
    op = {arithmetic.RSubScalar: "Sub", arithmetic.RDivScalar: "Div",
          arithmetic.RPowScalar: "Pow"}[c.cls]
    g.node(op, [_scalar(g, c, c.params["c"]), _x(g, c)], c.outputs)


@maps(unary.Clamp)
def _clamp(g, c):
    lo, hi = c.params["lo"], c.params["hi"]
    ins = [_x(g, c), "" if lo is None else _scalar(g, c, lo),
           "" if hi is None else _scalar(g, c, hi)]
    g.node("Clip", ins, c.outputs)


# ---------------------------------------------------------------- layers
def _pads(pads):
    """((top, bottom), (left, right)) → ONNX's [top, left, bottom, right]."""
    return [int(p[0]) for p in pads] + [int(p[1]) for p in pads]


@maps(conv.Conv)
def _conv(g, c):
    x, w, b = c.inputs
    p = c.params
    g.node("Conv", [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else []),
           c.outputs, kernel_shape=list(w.shape[2:]), strides=list(p["stride"]),
           pads=_pads(p["pads"]), dilations=list(p["dilation"]), group=int(p["groups"]))


@maps(conv.ConvTranspose)
def _conv_transpose(g, c):
    x, w, b = c.inputs
    p = c.params
    out = c.outputs[0].shape[2:]
    extra = []
    for a in range(2):
        k = (w.shape[2 + a] - 1) * p["dilation"][a] + 1
        base = (x.shape[2 + a] - 1) * p["stride"][a] + k - sum(p["pads"][a])
        extra.append(int(out[a] - base))
    g.node("ConvTranspose", [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else []),
           c.outputs, kernel_shape=list(w.shape[2:]), strides=list(p["stride"]),
           pads=_pads(p["pads"]), dilations=list(p["dilation"]), group=int(p["groups"]),
           output_padding=extra)


@maps(Linear)
def _linear(g, c):
    x, w, b = c.inputs
    if x.ndim == 2:
        ins = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        g.node("Gemm", ins, c.outputs, transB=1)
        return
    y = g.node("MatMul", [g.value(x), g.node("Transpose", [g.value(w)], perm=[1, 0])])
    if b is None:
        g.node("Identity", [y], c.outputs)
    else:
        g.node("Add", [y, g.value(b)], c.outputs)


@maps(norm.BatchNormEval)
def _batch_norm(g, c):
    x, weight, bias = c.inputs
    ch, dt = x.shape[1], x.dtype
    scale = g.value(weight) if weight is not None else g.const(np.ones(ch, dt), "ones")
    shift = g.value(bias) if bias is not None else g.const(np.zeros(ch, dt), "zeros")
    g.node("BatchNormalization", [g.value(x), scale, shift, g.array(c.params["running_mean"]),
                                  g.array(c.params["running_var"])], c.outputs,
           epsilon=float(c.params["eps"]))


@maps(norm.LayerNorm)
def _layer_norm(g, c):
    x, weight, bias = c.inputs
    k, axis = c.params["k"], x.ndim
    while axis > 0 and int(np.prod(x.shape[axis:])) != k:
        axis -= 1
    trailing = x.shape[axis:]
    scale = g.value(weight) if weight is not None else g.const(np.ones(trailing, x.dtype))
    ins = [g.value(x), scale] + ([g.value(bias)] if bias is not None else [])
    g.node("LayerNormalization", ins, c.outputs, axis=axis - x.ndim,
           epsilon=float(c.params["eps"]))


@maps(norm.LocalResponseNorm)
def _lrn(g, c):
    size = int(c.params["size"])
    if size % 2 == 0:
        raise UnsupportedOperatorError(
            f"gradwork.onnx.export: {g.where()}: LocalResponseNorm with an even size ({size}) "
            "has no ONNX mapping (ONNX LRN centres even windows on the other side)")
    g.node("LRN", [_x(g, c)], c.outputs, size=size, alpha=float(c.params["alpha"]),
           beta=float(c.params["beta"]), bias=float(c.params["k"]))


@maps(dropout.Dropout)
def _dropout(g, c):
    raise UnsupportedOperatorError(
        f"gradwork.onnx.export: {g.where()} ran dropout in training mode; export evaluates "
        "the model in eval mode — a forward that calls F.dropout(..., training=True) "
        "unconditionally has no deterministic ONNX form")


# ---------------------------------------------------------------- pooling
@maps(pool.MaxPool)
def _max_pool(g, c):
    p = c.params
    x = c.inputs[0]
    attrs = {"kernel_shape": list(p["kernel"]), "strides": list(p["stride"]),
             "pads": _pads(p["pads"]), "dilations": list(p["dilation"])}
    if not p["return_indices"]:
        g.node("MaxPool", [g.value(x)], c.outputs[:1], **attrs)
        return
    # ONNX's indices count over the whole tensor; gradwork's (PyTorch's) within each plane.
    # MaxUnpool takes ONNX's own; other consumers get them per plane (mod H·W).
    out, idx = c.outputs
    raw = g.fresh("pool_indices")
    g.node("MaxPool", [g.value(x)], [out, raw], **attrs)
    g.pool_indices[id(idx)] = (raw, attrs, x.shape[2:])
    g.node("Mod", [raw, g.ints(x.shape[2] * x.shape[3], "plane")], [idx])


@maps(pool.MaxUnpool)
def _max_unpool(g, c):
    x, idx = c.inputs
    source = g.pool_indices.get(id(idx))
    if source is None:
        raise UnsupportedOperatorError(
            f"gradwork.onnx.export: {g.where()}: max_unpool's indices must come from a "
            "max_pool(return_indices=True) in the same graph to map to ONNX MaxUnpool")
    raw, attrs, _ = source
    out_hw = list(c.params["out_hw"])
    lead = g.node("Slice", [g.node("Shape", [g.value(x)]), g.ints([0]), g.ints([2])])
    size = g.node("Concat", [lead, g.ints(out_hw)], axis=0)
    g.node("MaxUnpool", [g.value(x), raw, size], c.outputs,
           kernel_shape=attrs["kernel_shape"], strides=attrs["strides"], pads=attrs["pads"])


@maps(pool.AvgPool)
def _avg_pool(g, c):
    p = c.params
    kh, kw = p["kernel"]
    y = g.node("AveragePool", [_x(g, c)], kernel_shape=[kh, kw], strides=list(p["stride"]),
               pads=_pads(p["pads"]), count_include_pad=1)          # Σ window / (kh·kw)
    divisor = np.asarray(p["divisor"], dtype=c.outputs[0].dtype)
    if divisor.ndim == 0 and float(divisor) == kh * kw:
        g.node("Identity", [y], c.outputs)
    else:                                       # PyTorch's per-position divisors, exactly
        g.node("Mul", [y, g.const((kh * kw / divisor).astype(divisor.dtype), "avg_scale")],
               c.outputs)


@maps(pool.AdaptiveAvgPool)
def _adaptive_avg_pool(g, c):
    x = c.inputs[0]
    out_hw = tuple(c.params["out_hw"])
    if out_hw == (1, 1):
        g.node("GlobalAveragePool", [g.value(x)], c.outputs)
        return
    H, W = x.shape[2:]
    if H % out_hw[0] == 0 and W % out_hw[1] == 0:
        k = [H // out_hw[0], W // out_hw[1]]
        g.node("AveragePool", [g.value(x)], c.outputs, kernel_shape=k, strides=k)
        return
    # y = P_h · x · P_wᵀ with gradwork's own averaging matrices (any sizes, exact)
    ph = pool._averaging_matrix(np, H, out_hw[0], x.dtype)
    pw = pool._averaging_matrix(np, W, out_hw[1], x.dtype)
    t = g.node("MatMul", [g.value(x), g.const(np.ascontiguousarray(pw.T), "pool_w")])
    g.node("MatMul", [g.const(ph, "pool_h"), t], c.outputs)


# ---------------------------------------------------------------- shapes and joins
@maps(shape.Reshape)
def _reshape(g, c):
    x, out = c.inputs[0], c.outputs[0]
    dims = list(out.shape)
    if g.dynamic_batch and x.ndim and dims and dims[0] == x.shape[0]:
        dims[0] = 0                             # ONNX: copy the (dynamic) batch dimension
    g.node("Reshape", [g.value(x), g.ints(dims)], c.outputs)


@maps(shape.Permute)
def _permute(g, c):
    g.node("Transpose", [_x(g, c)], c.outputs, perm=[int(d) for d in c.params["dims"]])


@maps(shape.Expand)
def _expand(g, c):
    g.node("Expand", [_x(g, c), g.ints(c.outputs[0].shape)], c.outputs)


@maps(shape.Cast)
def _cast(g, c):
    to = g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(c.outputs[0].dtype))
    g.node("Cast", [_x(g, c)], c.outputs, to=int(to))


@maps(join.Cat)
def _cat(g, c):
    g.node("Concat", [g.value(t) for t in c.inputs], c.outputs, axis=int(c.params["dim"]))


@maps(join.Stack)
def _stack(g, c):
    axis = g.ints([int(c.params["dim"])], "axes")
    parts = [g.node("Unsqueeze", [g.value(t), axis]) for t in c.inputs]
    g.node("Concat", parts, c.outputs, axis=int(c.params["dim"]))


@maps(join.Split)
def _split(g, c):
    g.node("Split", [_x(g, c), g.ints(list(c.params["sizes"]), "split")], c.outputs,
           axis=int(c.params["dim"]))


@maps(pad.ConstantPad)
def _constant_pad(g, c):
    widths = c.params["widths"]
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    value = g.const(np.asarray(c.params["value"], dtype=c.outputs[0].dtype), "pad_value")
    g.node("Pad", [_x(g, c), g.ints(pads, "pads"), value], c.outputs, mode="constant")


@maps(index.GetItemView, index.GetItem)
def _getitem(g, c):
    x = c.inputs[0]
    idx = c.params["index"]
    parts = idx if isinstance(idx, tuple) else (idx,)
    if not all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               for p in parts):
        raise UnsupportedOperatorError(
            f"gradwork.onnx.export: {g.where()} indexes with arrays or masks; only slices, "
            "integers, None and ... map to ONNX")
    if sum(p is Ellipsis for p in parts) > 1:
        raise UnsupportedOperatorError(f"gradwork.onnx.export: {g.where()}: two ellipses")
    used = sum(p is not None and p is not Ellipsis for p in parts)
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        parts = parts[:at] + (slice(None),) * (x.ndim - used) + parts[at + 1:]
    parts = parts + (slice(None),) * (x.ndim - sum(p is not None for p in parts))
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    axis, out_axis = 0, 0
    for p in parts:
        if axis >= x.ndim and p is not None:
            break
        if p is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        size = x.shape[axis]
        if isinstance(p, slice):
            start, stop, step = p.indices(size)
            if (start, stop, step) != (0, size, 1):
                if step < 0 and stop < 0:
                    stop = -size - 1              # ONNX: past the front, not "from the end"
                starts.append(start)
                ends.append(stop)
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        else:
            i = int(p) % size
            starts.append(i)
            ends.append(i + 1)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    y = g.value(x)
    if axes:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.node("Squeeze", [y, g.ints(squeeze, "axes")])
    if unsqueeze:
        y = g.node("Unsqueeze", [y, g.ints(unsqueeze, "axes")])
    g.node("Identity", [y], c.outputs)


# ---------------------------------------------------------------- reductions
def _axes(c, ndim):
    dims = c.params["dims"]
    return list(range(ndim)) if dims is None else [int(d) % max(ndim, 1) for d in
                                                   (dims if isinstance(dims, (tuple, list))
                                                    else (dims,))]


@maps(reduce.Sum, reduce.Mean, reduce.Amax, reduce.Amin)
def _reduce(g, c):
    op = {reduce.Sum: "ReduceSum", reduce.Mean: "ReduceMean", reduce.Amax: "ReduceMax",
          reduce.Amin: "ReduceMin"}[c.cls]
    x = c.inputs[0]
    axes = g.ints(_axes(c, x.ndim), "axes")
    keep = int(bool(c.params["keepdim"]))
    if op == "ReduceSum" or g.opset >= 18:      # axes became an input (ReduceSum: opset 13)
        g.node(op, [g.value(x), axes], c.outputs, keepdims=keep)
    else:
        g.node(op, [g.value(x)], c.outputs, keepdims=keep, axes=_axes(c, x.ndim))
