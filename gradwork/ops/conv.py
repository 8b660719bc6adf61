"""Convolution and transposed convolution (1-D and 2-D, stride, padding, dilation, groups):
the differentiable ops and PyTorch's functional API.

Each op builds a `ConvPlan` (ops/conv_plan.py) from its geometry once, in forward; the plan
names the algorithm of each direction (im2col GEMM, pointwise GEMM, depthwise window loop,
gather or col2im for the input gradient), splits the work over the threads, and is kept for
backward. Conv's input gradient is conv-transpose's forward and conv-transpose's input
gradient is conv's forward, so both run on the plan of the same convolution. The GEMM
lowering is ops/conv_gemm.py; the windows, shared with pooling, ops/window.py.
1-D convolutions are 2-D ones on planes of height 1. Unbatched inputs ((C, H, W) or (C, L))
are accepted as in PyTorch.
"""
from ..autograd import Function
from ..errors import DTypeError, ShapeError, check_positive_int, torch_dtype_name
from .conv_plan import ConvPlan
from .shape import reshape
from .window import as_planes, normalize_tuple, out_size, window_params


# y[n,k,u,v] = b[k] + Σ_{c,i,j} W[k,c,i,j] · x[n, c, u·s + i·d − p, v·s + j·d − p]   (deck 002)
class Conv(Function):
    def forward(self, x, w, b, stride, pads, dilation, groups, out_hw):
        self.x, self.w = x, w
        self.plan = ConvPlan(x.shape, w.shape, stride, pads, dilation, groups, out_hw)
        return self.plan.forward(x, w, b)

    def backward(self, g):
        need = self.needs_input_grad
        gx, gw = self.plan.backward(g, self.x, self.w, need[0], need[1])
        gb = g.sum(axis=(0, 2, 3)) if need[2] else None
        return gx, gw, gb


# y = Wᵀ ⋆ᵀ x + b, the adjoint of Conv in its input (Dumoulin & Visin 2016, "fractionally strided")
class ConvTranspose(Function):
    def forward(self, x, w, b, stride, pads, dilation, groups, out_shape):
        self.x, self.w = x, w
        self.plan = ConvPlan(out_shape, w.shape, stride, pads, dilation, groups, x.shape[2:])
        return self.plan.input_grad(x, w, b)

    def backward(self, g):
        need, x = self.needs_input_grad, self.x
        gx = self.plan.forward(g, self.w, None) if need[0] else None
        gw = self.plan.weight_grad(g, x) if need[1] else None
        gb = g.sum(axis=(0, 2, 3)) if need[2] else None
        return gx, gw, gb


# ---------------------------------------------------------------- the functional API
def _lift(fn, input, weight, bias, nd):
    """Check ranks and dtypes; the input and weight as 4-D tensors, and the inverse reshaping."""
    if weight.ndim != nd + 2:
        raise ShapeError(f"{fn}: weight must be {nd + 2}-D, got shape {tuple(weight.shape)}")
    x, restore = as_planes(fn, input, nd)
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise DTypeError(f"{fn}: Input type ({torch_dtype_name(input.dtype)}) and weight type "
                         f"({torch_dtype_name(weight.dtype)}) should be the same: input "
                         f"({input.dtype}), weight ({weight.dtype}) and bias "
                         f"({None if bias is None else bias.dtype}) must have the same dtype")
    if nd == 1:
        weight = reshape(weight, weight.shape[:2] + (1,) + weight.shape[2:])
    return x, weight, restore


def _conv_padding(fn, padding, kernel, stride, dilation, nd):
    """((top, bottom), (left, right)) from an int, a tuple, 'valid' or 'same' (PyTorch: the odd
    extra pixel of 'same' goes right/bottom)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"{fn}: padding must be an int, a tuple, 'valid' or 'same', got "
                             f"{padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions "
                             f"(stride={stride[2 - nd:]})")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)
    p = window_params(nd, fn, padding=(padding, 0))[0]
    return ((p[0], p[0]), (p[1], p[1]))


def _check_channels(fn, C, weight_shape, groups, transposed, nd):
    check_positive_int(fn, "groups", groups)
    w_in = weight_shape[0] if transposed else weight_shape[1] * groups
    out_ch = weight_shape[1] * groups if transposed else weight_shape[0]
    layout = "(in_channels, out_channels/groups, k...)" if transposed else \
        "(out_channels, in_channels/groups, k...)"
    if C % groups or w_in != C:
        raise ValueError(f"{fn}: input has {C} channels; with groups={groups} and weight of shape "
                         f"{tuple(weight_shape)} {layout} it must have {w_in}, divisible by groups")
    if (weight_shape[0] if transposed else out_ch) % groups:
        raise ValueError(f"{fn}: {'in' if transposed else 'out'}_channels="
                         f"{weight_shape[0]} (weight shape {tuple(weight_shape)}) is not "
                         f"divisible by groups={groups}")
    return out_ch


def _check_bias(fn, bias, out_ch):
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise ValueError(f"{fn}: bias must have shape ({out_ch},), got {tuple(bias.shape)}")


def _convnd(fn, nd, input, weight, bias, stride, padding, dilation, groups):
    x, w, restore = _lift(fn, input, weight, bias, nd)
    out_ch = _check_channels(fn, x.shape[1], weight.shape, groups, False, nd)
    _check_bias(fn, bias, out_ch)
    stride, dilation = window_params(nd, fn, stride=(stride, 1), dilation=(dilation, 1))
    kernel = w.shape[2:]
    pads = _conv_padding(fn, padding, kernel, stride, dilation, nd)
    out_hw = []
    for axis in range(2):
        size, lo, hi = x.shape[2 + axis], *pads[axis]
        span = dilation[axis] * (kernel[axis] - 1) + 1
        if span > size + lo + hi:
            raise ValueError(
                f"{fn}: kernel of size {tuple(weight.shape[2:])} (dilated span {span}) is larger "
                f"than the padded input: input {tuple(input.shape)}, padding {padding!r}")
        out_hw.append(out_size(size, kernel[axis], stride[axis], lo, hi, dilation[axis]))
    out = Conv.apply(x, w, bias, stride=stride, pads=pads, dilation=dilation, groups=groups,
                     out_hw=tuple(out_hw))
    return restore(out)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, PyTorch's `F.conv2d`.

    y[n,k,u,v] = b[k] + Σ_{c,i,j} W[k,c,i,j] · x[n, g(k)·C/G + c, u·s + i·d − p, v·s + j·d − p].
    input (N, C, H, W) or (C, H, W); weight (K, C/groups, kh, kw); bias (K,); padding an int,
    a pair, 'valid' or 'same' (stride 1; an odd total pads one more at the bottom/right).
    Output size (H + 2p − d(kh − 1) − 1)/s + 1, deck 002's (W − F + 2P)/S + 1.
    LeCun et al. 1998; grouped convolution: Krizhevsky et al. 2012.
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, PyTorch's `F.conv1d`: input (N, C, L) or (C, L); weight
    (K, C/groups, k). The 2-D op on planes of height 1."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def causal_conv1d(input, weight, bias=None, dilation=1, groups=1):
    """Causal 1-D convolution for temporal convolutional networks (Bai, Kolter & Koltun 2018):
    the input is padded by d·(k − 1) on the left only, so y[t] depends on x[≤ t] and the output
    has the input's length. Equal to conv1d(F.pad(x, (d(k−1), 0)), W)."""
    if weight.ndim != 3:
        raise ValueError(f"causal_conv1d: weight must be 3-D (out, in/groups, k), got shape "
                         f"{tuple(weight.shape)}")
    d = normalize_tuple(dilation, 1, "dilation", "causal_conv1d", 1)[0]
    x, w, restore = _lift("causal_conv1d", input, weight, bias, 1)
    out_ch = _check_channels("causal_conv1d", x.shape[1], weight.shape, groups, False, 1)
    _check_bias("causal_conv1d", bias, out_ch)
    pads = ((0, 0), (d * (weight.shape[2] - 1), 0))
    out = Conv.apply(x, w, bias, stride=(1, 1), pads=pads, dilation=(1, d), groups=groups,
                     out_hw=(1, x.shape[3]))
    return restore(out)


def _conv_transposend(fn, nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    x, w, restore = _lift(fn, input, weight, bias, nd)
    out_ch = _check_channels(fn, x.shape[1], weight.shape, groups, True, nd)
    _check_bias(fn, bias, out_ch)
    stride, dilation, padding, output_padding = window_params(
        nd, fn, stride=(stride, 1), dilation=(dilation, 1), padding=(padding, 0),
        output_padding=(output_padding, 0))
    kernel, out_hw = w.shape[2:], []
    for a in range(2):
        if output_padding[a] >= max(stride[a], dilation[a]):
            raise ValueError(f"{fn}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={output_padding[2 - nd:]}, "
                             f"stride={stride[2 - nd:]}, dilation={dilation[2 - nd:]}")
        out_hw.append((x.shape[2 + a] - 1) * stride[a] - 2 * padding[a]
                      + dilation[a] * (kernel[a] - 1) + output_padding[a] + 1)
    if min(out_hw) < 1:
        raise ValueError(f"{fn}: padding {padding[2 - nd:]} leaves no output for input "
                         f"{tuple(input.shape)} and weight {tuple(weight.shape)} (output "
                         f"size {tuple(out_hw)[2 - nd:]})")
    pads = tuple((p, p) for p in padding)
    out = ConvTranspose.apply(x, w, bias, stride=stride, pads=pads, dilation=dilation,
                              groups=groups, out_shape=(x.shape[0], out_ch, *out_hw))
    return restore(out)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution, PyTorch's `F.conv_transpose2d`: the adjoint of conv2d in its
    input, y = Wᵀ ⋆ᵀ x + b. input (N, C_in, H, W) or unbatched; weight (C_in, C_out/groups,
    kh, kw); output size (H − 1)s − 2p + d(kh − 1) + output_padding + 1.
    Zeiler et al. 2010 (deconvolutional networks); Dumoulin & Visin 2016 (arithmetic).
    """
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution, PyTorch's `F.conv_transpose1d`: input (N, C_in, L) or
    (C_in, L); weight (C_in, C_out/groups, k)."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)
