"""Convolution and transposed convolution (1-D and 2-D, stride, padding, dilation, groups).

Three kernels on raw arrays, each im2col/col2im (ops/window.py) plus one batched GEMM:

    conv_forward          y  = W ⋆ x                 (im2col, then W·cols)
    conv_backward_input   dx = Wᵀ ⋆ᵀ dy              (Wᵀ·dy, then col2im)  = conv-transpose's forward
    conv_backward_weight  dW = Σₙ dy · colsᵀ          (im2col, then dy·colsᵀ)

Conv's input gradient is conv-transpose's forward and conv-transpose's input gradient is conv's
forward, so the two Functions share all three. With stride 1, conv_backward_input is itself a
convolution (of dy, fully padded, with the flipped kernel): a gather instead of col2im's
scatter-add, taken where it is measured to be faster. The batch (or, for a big single image, the
output rows) is cut into blocks whose columns fit in cache, so each gather is consumed by its
GEMM before it is evicted; 1×1 stride-1 convolutions skip im2col (the input is its own columns).
1-D convolutions are 2-D ones on planes of height 1. Unbatched inputs ((C, H, W) or (C, L)) are
accepted as in PyTorch.
"""
from ..autograd import Function
from ..backend import array_module
from .shape import reshape
from .window import (as_planes, col2im, im2col, normalize_tuple, out_size, pad_planes,
                     window_params)

# Elements of one im2col block (4 MB in float32), small enough to stay in cache between the
# gather and the GEMM that reads it (measured faster than whole-batch columns).
_BLOCK = 1 << 20


def _blocks(N, oh, per_row):
    """(n0, n1, r0, r1): whole samples while their columns fit in _BLOCK, else row bands of one."""
    if per_row * oh <= _BLOCK:
        step = max(1, _BLOCK // (per_row * oh))
        return [(n0, min(N, n0 + step), 0, oh) for n0 in range(0, N, step)]
    step = max(1, _BLOCK // per_row)
    return [(n, n + 1, r0, min(oh, r0 + step)) for n in range(N) for r0 in range(0, oh, step)]


def _is_pointwise(kernel, stride, pads, in_hw, out_hw):
    """1×1, stride 1, no padding, same size in and out: the input is its own im2col."""
    return (tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and not any(pads[0] + pads[1])
            and tuple(in_hw) == tuple(out_hw))


def _view(a, shape):
    """Reshape that must not copy (we write through it)."""
    return array_module(a).reshape(a, shape, copy=False)


def _columns(x, kernel, stride, pads, dilation, out_hw):
    """im2col(pad(x)) in blocks: yields (n0, n1, r0, r1, cols (B, C·kh·kw, R·ow)); cols is reused."""
    xp = array_module(x)
    N, C, H, W = x.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    if _is_pointwise(kernel, stride, pads, (H, W), out_hw):
        yield 0, N, 0, oh, x.reshape(N, C, H * W)
        return
    blocks = _blocks(N, oh, C * kh * kw * ow)
    bmax = max(n1 - n0 for n0, n1, _, _ in blocks)
    rmax = max(r1 - r0 for _, _, r0, r1 in blocks)
    (pt, pb), (pl, pr) = pads
    padbuf = xp.zeros((bmax, C, H + pt + pb, W + pl + pr), x.dtype) if pt + pb + pl + pr else None
    colbuf = xp.empty(bmax * C * kh * kw * rmax * ow, x.dtype)
    xpad = None
    for n0, n1, r0, r1 in blocks:
        B, R = n1 - n0, r1 - r0
        if r0 == 0:
            xpad = pad_planes(x[n0:n1], pads, out=None if padbuf is None else padbuf[:B])
        cols = colbuf[:B * C * kh * kw * R * ow].reshape(B, C * kh * kw, R * ow)
        yield n0, n1, r0, r1, im2col(xpad[:, :, r0 * stride[0]:], kernel, stride, dilation,
                                     (R, ow), out=cols)


def conv_forward(x, w, b, stride, pads, dilation, groups, out_hw):
    """y (N, K, oh, ow) = W (K, C/G, kh, kw) ⋆ x (N, C, H, W) + b, per group: W_g · cols_g."""
    xp = array_module(x, w)
    N, K, G = x.shape[0], w.shape[0], groups
    oh, ow = out_hw
    ckk = w[0].size                                     # C/G · kh · kw
    wg = w.reshape(G, K // G, ckk)                      # (G, K/G, C/G·kh·kw)
    bias = None if b is None else b.reshape(G, K // G, 1)
    out = xp.empty((N, K, oh, ow), x.dtype)
    for n0, n1, r0, r1, cols in _columns(x, w.shape[2:], stride, pads, dilation, out_hw):
        B, R = n1 - n0, r1 - r0
        dst = _view(out[n0:n1, :, r0:r1], (B, G, K // G, R * ow))
        xp.matmul(wg, cols.reshape(B, G, ckk, R * ow), out=dst)
        if bias is not None:
            dst += bias
    return out


def _full_padding(x_shape, g_shape, w_shape, stride, pads, dilation):
    """For stride 1, the padding of dy under which conv(dy, flipped W) has x's size and equals
    the adjoint: d(k − 1) − p before, the rest after; None where a side would be negative."""
    if tuple(stride) != (1, 1):
        return None
    out = []
    for a in range(2):
        span = dilation[a] * (w_shape[2 + a] - 1)
        lo = span - pads[a][0]
        hi = x_shape[2 + a] - g_shape[2 + a] + span - lo
        if lo < 0 or hi < 0:
            return None
        out.append((lo, hi))
    return tuple(out)


def conv_backward_input(g, w, x_shape, stride, pads, dilation, groups, b=None):
    """dx (x_shape) = col2im(Wᵀ · dy): the adjoint of conv_forward in x (and conv-transpose's
    forward, plus its bias b). dy: (N, K, oh, ow); W: (K, C/G, kh, kw)."""
    xp = array_module(g, w)
    N, C, H, W = x_shape
    K, Cg, kh, kw = w.shape
    G, (oh, ow) = groups, g.shape[2:]
    full = _full_padding(x_shape, g.shape, w.shape, stride, pads, dilation)
    if full is not None and K * H * W <= 2 * C * oh * ow:
        # stride 1: dx = dy ⋆ flip(W)ᵀ with "full" padding, a gather instead of a scatter-add
        # (measured ≈2× faster than col2im at ResNet shapes); not worth it when K ≫ C.
        wf = w.reshape(G, K // G, Cg, kh, kw)[..., ::-1, ::-1].swapaxes(1, 2)
        return conv_forward(g, xp.ascontiguousarray(wf).reshape(C, K // G, kh, kw), b,
                            stride, full, dilation, groups, (H, W))
    g = xp.ascontiguousarray(g)
    wt = w.reshape(G, K // G, Cg * kh * kw).swapaxes(1, 2)  # (G, C/G·kh·kw, K/G)
    bias = None if b is None else b.reshape(C, 1, 1)
    dx = xp.empty(x_shape, g.dtype)
    if _is_pointwise((kh, kw), stride, pads, (H, W), (oh, ow)):
        xp.matmul(wt, g.reshape(N, G, K // G, H * W), out=dx.reshape(N, G, Cg, H * W))
        return dx if bias is None else xp.add(dx, bias, out=dx)
    (pt, pb), (pl, pr) = pads
    blocks = _blocks(N, oh, C * kh * kw * ow)
    bmax = max(n1 - n0 for n0, n1, _, _ in blocks)
    rmax = max(r1 - r0 for _, _, r0, r1 in blocks)
    padbuf = xp.empty((bmax, C, H + pt + pb, W + pl + pr), g.dtype)
    colbuf = xp.empty(bmax * C * kh * kw * rmax * ow, g.dtype)
    for n0, n1, r0, r1 in blocks:
        B, R = n1 - n0, r1 - r0
        xpad = padbuf[:B]
        if r0 == 0:
            xpad.fill(0)
        cols = colbuf[:B * C * kh * kw * R * ow].reshape(B, G, Cg * kh * kw, R * ow)
        xp.matmul(wt, g[n0:n1, :, r0:r1].reshape(B, G, K // G, R * ow), out=cols)
        col2im(cols.reshape(B, C, kh, kw, R, ow), xpad[:, :, r0 * stride[0]:], (kh, kw), stride,
               dilation, (R, ow))
        if r1 == oh:
            dx[n0:n1] = xpad[:, :, pt:pt + H, pl:pl + W]
            if bias is not None:
                dx[n0:n1] += bias
    return dx


def conv_backward_weight(x, g, w_shape, stride, pads, dilation, groups):
    """dW (K, C/G, kh, kw) = Σₙ dy[n] · cols(x)[n]ᵀ, per group."""
    xp = array_module(x, g)
    K, Cg, kh, kw = w_shape
    G, ow = groups, g.shape[3]
    g = xp.ascontiguousarray(g)
    dw = xp.zeros((G, K // G, Cg * kh * kw), g.dtype)
    for n0, n1, r0, r1, cols in _columns(x, (kh, kw), stride, pads, dilation, g.shape[2:]):
        B, R = n1 - n0, r1 - r0
        gg = g[n0:n1, :, r0:r1].reshape(B, G, K // G, R * ow)
        cg = cols.reshape(B, G, Cg * kh * kw, R * ow).swapaxes(-1, -2)
        dw += gg[0] @ cg[0] if B == 1 else xp.matmul(gg, cg).sum(axis=0)
    return dw.reshape(w_shape)


# y[n,k,u,v] = b[k] + Σ_{c,i,j} W[k,c,i,j] · x[n, c, u·s + i·d − p, v·s + j·d − p]   (deck 002)
class Conv(Function):
    def forward(self, x, w, b, stride, pads, dilation, groups, out_hw):
        self.x, self.w, self.geom = x, w, (stride, pads, dilation, groups)
        return conv_forward(x, w, b, stride, pads, dilation, groups, out_hw)

    def backward(self, g):
        need = self.needs_input_grad
        gx = conv_backward_input(g, self.w, self.x.shape, *self.geom) if need[0] else None
        gw = conv_backward_weight(self.x, g, self.w.shape, *self.geom) if need[1] else None
        gb = g.sum(axis=(0, 2, 3)) if need[2] else None
        return gx, gw, gb


# y = Wᵀ ⋆ᵀ x + b, the adjoint of Conv in its input (Dumoulin & Visin 2016, "fractionally strided")
class ConvTranspose(Function):
    def forward(self, x, w, b, stride, pads, dilation, groups, out_shape):
        self.x, self.w, self.geom = x, w, (stride, pads, dilation, groups)
        return conv_backward_input(x, w, out_shape, stride, pads, dilation, groups, b)

    def backward(self, g):
        need, x = self.needs_input_grad, self.x
        gx = conv_forward(g, self.w, None, *self.geom, x.shape[2:]) if need[0] else None
        gw = conv_backward_weight(g, x, self.w.shape, *self.geom) if need[1] else None
        gb = g.sum(axis=(0, 2, 3)) if need[2] else None
        return gx, gw, gb


# ---------------------------------------------------------------- the functional API
def _lift(fn, input, weight, bias, nd):  # noqa: A002
    """Check ranks and dtypes; the input and weight as 4-D tensors, and the inverse reshaping."""
    if weight.ndim != nd + 2:
        raise ValueError(f"{fn}: weight must be {nd + 2}-D, got shape {tuple(weight.shape)}")
    x, restore = as_planes(fn, input, nd)
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise TypeError(f"{fn}: input ({input.dtype}), weight ({weight.dtype}) and bias "
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
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive integer, got {groups!r}")
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


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D cross-correlation, PyTorch's `F.conv2d`.

    y[n,k,u,v] = b[k] + Σ_{c,i,j} W[k,c,i,j] · x[n, g(k)·C/G + c, u·s + i·d − p, v·s + j·d − p].
    input (N, C, H, W) or (C, H, W); weight (K, C/groups, kh, kw); bias (K,); padding an int,
    a pair, 'valid' or 'same' (stride 1; an odd total pads one more at the bottom/right).
    Output size (H + 2p − d(kh − 1) − 1)/s + 1, deck 002's (W − F + 2P)/S + 1.
    LeCun et al. 1998; grouped convolution: Krizhevsky et al. 2012.
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D cross-correlation, PyTorch's `F.conv1d`: input (N, C, L) or (C, L); weight
    (K, C/groups, k). The 2-D op on planes of height 1."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def causal_conv1d(input, weight, bias=None, dilation=1, groups=1):  # noqa: A002
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


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    """2-D transposed convolution, PyTorch's `F.conv_transpose2d`: the adjoint of conv2d in its
    input, y = Wᵀ ⋆ᵀ x + b. input (N, C_in, H, W) or unbatched; weight (C_in, C_out/groups,
    kh, kw); output size (H − 1)s − 2p + d(kh − 1) + output_padding + 1.
    Zeiler et al. 2010 (deconvolutional networks); Dumoulin & Visin 2016 (arithmetic).
    """
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    """1-D transposed convolution, PyTorch's `F.conv_transpose1d`: input (N, C_in, L) or
    (C_in, L); weight (C_in, C_out/groups, k)."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)
