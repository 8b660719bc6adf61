"""Convolution and transposed convolution (1-D and 2-D, stride, padding, dilation, groups).

Three kernels on raw arrays, each im2col/col2im (ops/window.py) plus one batched GEMM:

    conv_forward          y  = W ⋆ x                 (im2col, then W·cols)
    conv_backward_input   dx = Wᵀ ⋆ᵀ dy              (Wᵀ·dy, then col2im)  = conv-transpose's forward
    conv_backward_weight  dW = Σₙ dy · colsᵀ          (im2col, then dy·colsᵀ)

Conv's input gradient is conv-transpose's forward and conv-transpose's input gradient is conv's
forward, so the two Functions share all three. With stride 1, conv_backward_input is itself a
convolution (of dy, fully padded, with the flipped kernel): a gather instead of col2im's
scatter-add, taken where it is measured to be faster; `conv_backward` then takes the weight
gradient from the same columns of dy, so a training step gathers x once (forward) and dy once
(backward). The batch (or, for a big single image, the
output rows) is cut into blocks whose columns fit in cache, so each gather is consumed by its
GEMM before it is evicted; 1×1 stride-1 convolutions skip im2col (the input is its own columns).
Stride-1 convolutions use over-width columns (window.py): each kernel offset's windows are one
long run of the flattened plane, the GEMM covers a whole block at once, and the padding of a
'same' convolution is virtual (no padded copy, no garbage columns).
Large convolutions run on all threads (gradwork.threads): the batch is cut into one range of
samples per thread, or a single image into bands of output rows (each the convolution of the
slab of input rows it reads), and every thread gathers and multiplies its own part.
1-D convolutions are 2-D ones on planes of height 1. Unbatched inputs ((C, H, W) or (C, L)) are
accepted as in PyTorch.
"""
import math
import threading

from ..autograd import Function
from ..backend import array_module, scratch_empty
from ..errors import DTypeError, ShapeError, check_positive_int, torch_dtype_name
from ..threads import get_num_threads, over_ranges, sharing
from .shape import reshape
from .window import as_planes, col2im, im2col, normalize_tuple, out_size, window_params

# Elements of one im2col block (4 MB in float32), small enough to stay in cache between the
# gather and the GEMM that reads it (measured faster than whole-batch columns); threads that
# work at once share it (half each on two threads: measured 7 % faster on ResNet-20 than
# 4 MB each, while serial LeNet-5 and VGG-16 lose 5–8 % with 2 MB).
_BLOCK = 1 << 20


# Scratch buffers (columns, padded planes, GEMM results) kept between calls, one per role and
# thread: a fresh multi-megabyte array is mapped from the OS and page-faulted on every call
# (measured at a third of LeNet's step time); the kernels below never hold two uses of one
# role at once.
_scratch = threading.local()


def _workspace(xp, role, size, dtype, zero=False):
    """A flat array of `size` elements for `role`, reused across calls (zeroed if asked)."""
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buf = buffers.get(role)
    if buf is None or buf.size < size or buf.dtype != dtype or array_module(buf) is not xp:
        buf = buffers[role] = scratch_empty(xp, size, dtype)
    buf = buf[:size]
    if zero:
        buf.fill(0)
    return buf


# Below this many multiply-adds a convolution runs in the calling thread: handing its halves
# to the pool costs more than it saves (measured at LeNet-5's, of 7–15 M).
_PARALLEL_MACS = 1 << 25


def _worth_splitting(N, w_shape, out_hw):
    """At least _PARALLEL_MACS multiply-adds."""
    return N * math.prod(w_shape) * out_hw[0] * out_hw[1] >= _PARALLEL_MACS


def _over_batch(fn, N, w_shape, out_hw):
    """fn(n0, n1) over ranges of the batch, one per thread (gradwork.threads), or over the
    whole batch in this thread where the convolution is small; the list of results."""
    if not _worth_splitting(N, w_shape, out_hw):
        return [fn(0, N)]
    return over_ranges(fn, N)


def _blocks(N, oh, per_row):
    """(n0, n1, r0, r1): whole samples while their columns fit in this thread's share of
    _BLOCK, else row bands of one."""
    block = _BLOCK // sharing()
    if per_row * oh <= block:
        step = max(1, block // (per_row * oh))
        return [(n0, min(N, n0 + step), 0, oh) for n0 in range(0, N, step)]
    step = max(1, block // per_row)
    return [(n, n + 1, r0, min(oh, r0 + step)) for n in range(N) for r0 in range(0, oh, step)]


# Over-width columns (window.py) cost (pitch − ow)·K/G extra multiply-adds per window and save
# the short-run copy overhead, worth about this many multiply-adds (measured at LeNet, ResNet
# and VGG shapes).
_RUN_COST = 320


def _pitch(x_shape, c_per_group, k_per_group, kernel, stride, pads, dilation, ow):
    """Row pitch of over-width columns for a stride-1 convolution, or None for packed ones.

    The input's own width W where the padding is within the kernel's reach (pl + pr ≤
    d(kw − 1): 'same', 'valid'; the horizontal padding is then virtual and a 'same'
    convolution has no garbage columns at all), else the padded width. None for 1×1 kernels,
    where the extra GEMM work outweighs the copy it saves, and where a batch's columns are
    not much larger than its output (C/G·kh·kw < 2·K/G: a network's 3-channel stem): the
    batch-major layout then costs more in the copies of y and dy than it saves in im2col."""
    if tuple(stride) != (1, 1) or tuple(kernel) == (1, 1):
        return None
    if x_shape[0] > 1 and c_per_group * kernel[0] * kernel[1] < 2 * k_per_group:
        return None
    W, (pl, pr) = x_shape[3], pads[1]
    pitch = W if pl + pr <= dilation[1] * (kernel[1] - 1) else W + pl + pr
    return pitch if (pitch - ow) * k_per_group <= _RUN_COST else None


def _view(a, shape):
    """Reshape that must not copy (we write through it)."""
    return array_module(a).reshape(a, shape, copy=False)


def _is_pointwise(kernel, stride, pads, in_hw, out_hw):
    """1×1, stride 1, no padding, same size in and out: the input is its own im2col."""
    return (tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and not any(pads[0] + pads[1])
            and tuple(in_hw) == tuple(out_hw))


def _pad_buffer(xp, shape, pads, pitch, dtype, role):
    """Zeroed storage for B padded planes: (padded (B, C, Hp, Wp), what im2col reads and col2im
    adds into; inner (B, C, H, W), where x sits; hpad, the virtual horizontal padding).
    With pitch W the rows are not widened: the buffer holds the vertically padded planes back
    to back, plus pl and pr elements of slack at its two ends, and `padded` is a view of it
    with overlapping rows of Wp, whose padding columns show the neighbouring row's values."""
    B, C, H, W = shape
    (pt, pb), (pl, pr) = pads
    Hp, Wp = H + pt + pb, W + pl + pr
    if pitch != W:
        padded = _workspace(xp, role, B * C * Hp * Wp, dtype, zero=True).reshape(B, C, Hp, Wp)
        return padded, padded[:, :, pt:pt + H, pl:pl + W], (0, 0)
    plane = Hp * W
    flat = _workspace(xp, role, pl + B * C * plane + pr, dtype, zero=True)
    it = flat.itemsize
    padded = xp.lib.stride_tricks.as_strided(flat, (B, C, Hp, Wp),
                                             (C * plane * it, plane * it, W * it, it))
    return padded, flat[pl:pl + B * C * plane].reshape(B, C, Hp, W)[:, :, pt:pt + H], (pl, pr)


def _columns(x, kernel, stride, pads, dilation, out_hw, pitch):
    """im2col(pad(x)) in blocks: yields (n0, n1, r0, r1, cols), packed per sample
    (B, C·kh·kw, R·ow) or, with a pitch, over-width batch-major (C·kh·kw, B, R·pitch); cols is
    reused. The first block is the largest. A pointwise convolution's columns are its input."""
    xp = array_module(x)
    N, C, H, W = x.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    if _is_pointwise(kernel, stride, pads, (H, W), out_hw):
        yield 0, N, 0, oh, x.reshape(N, C, H * W)
        return
    width = ow if pitch is None else pitch
    blocks = _blocks(N, oh, C * kh * kw * width)
    if not blocks:                                  # an empty batch (N = 0): no columns
        return
    n0, n1, r0, r1 = blocks[0]
    padded = inner = None
    hpad = (0, 0)
    if any(pads[0] + pads[1]):
        padded, inner, hpad = _pad_buffer(xp, (n1 - n0, C, H, W), pads, pitch, x.dtype,
                                          "pad x")
    elif pitch is not None:
        x = xp.ascontiguousarray(x)                 # over-width runs need contiguous rows
    colbuf = _workspace(xp, "cols", (n1 - n0) * C * kh * kw * (r1 - r0) * width, x.dtype)
    xpad = None
    for n0, n1, r0, r1 in blocks:
        B, R = n1 - n0, r1 - r0
        if r0 == 0:
            xpad = x[n0:n1]
            if padded is not None:
                inner[:B] = xpad
                xpad = padded[:B]
        cols = colbuf[:B * C * kh * kw * R * width].reshape(
            (B, C * kh * kw, R * ow) if pitch is None else (C * kh * kw, B, R * width))
        yield n0, n1, r0, r1, im2col(xpad[:, :, r0 * stride[0]:], kernel, stride, dilation,
                                     (R, ow), pitch, out=cols, hpad=hpad)


def conv_forward(x, w, b, stride, pads, dilation, groups, out_hw):
    """y (N, K, oh, ow) = W (K, C/G, kh, kw) ⋆ x (N, C, H, W) + b, per group: W_g · cols_g."""
    out = array_module(x, w).empty((x.shape[0], w.shape[0], *out_hw), x.dtype)

    def samples(n0, n1):
        for _ in _forward_blocks(x[n0:n1], w, b, stride, pads, dilation, groups, out[n0:n1]):
            pass

    def rows(r0, r1):
        slab, slab_pads = _row_slab(x, r0, r1, w.shape[2], stride[0], pads, dilation[0])
        for _ in _forward_blocks(slab, w, b, stride, slab_pads, dilation, groups,
                                 out[:, :, r0:r1]):
            pass
    if x.shape[0] < get_num_threads() and _worth_splitting(x.shape[0], w.shape, out_hw):
        over_ranges(rows, out_hw[0])            # a single image: its output rows
    else:
        _over_batch(samples, x.shape[0], w.shape, out_hw)
    return out


def _row_slab(x, r0, r1, kh, s, pads, d):
    """The rows of x (and their vertical padding) that output rows [r0, r1) read: a
    convolution of the slab with these pads gives exactly those rows."""
    H, (pt, pb) = x.shape[2], pads[0]
    lo, hi = r0 * s - pt, (r1 - 1) * s - pt + d * (kh - 1) + 1
    return x[:, :, max(lo, 0):min(hi, H)], ((max(-lo, 0), max(hi - H, 0)), pads[1])


def _forward_blocks(x, w, b, stride, pads, dilation, groups, out):
    """conv_forward's loop, writing y into `out` block by block; after each block's GEMM it
    yields (n0, n1, r0, r1, cols, pitch) so that a caller can use the same columns again.
    Packed columns (or one sample without garbage columns): one GEMM per sample, written in
    y's layout. Over-width columns: one GEMM for the whole block, then y's columns copied out."""
    xp = array_module(x, w)
    K, G = w.shape[0], groups
    oh, ow = out_hw = out.shape[2:]
    ckk = w[0].size                                     # C/G · kh · kw
    wg = w.reshape(G, K // G, ckk)                      # (G, K/G, C/G·kh·kw)
    bias = None if b is None else b.reshape(K, 1, 1)
    pitch = _pitch(x.shape, w.shape[1], K // G, w.shape[2:], stride, pads, dilation, ow)
    ybuf = None
    for n0, n1, r0, r1, cols in _columns(x, w.shape[2:], stride, pads, dilation, out_hw, pitch):
        B, R, M = n1 - n0, r1 - r0, cols.shape[2]
        dst = out[n0:n1, :, r0:r1]
        if pitch is None or (B == 1 and pitch == ow):   # (B, C·kh·kw, M) either way
            xp.matmul(wg, cols.reshape(B, G, ckk, M), out=_view(dst, (B, G, K // G, M)))
            if bias is not None:
                dst += bias
            yield n0, n1, r0, r1, cols, None
            continue
        if ybuf is None:
            ybuf = _workspace(xp, "y", K * B * M, x.dtype)
        y = ybuf[:K * B * M].reshape(G, K // G, B * M)
        xp.matmul(wg, cols.reshape(G, ckk, B * M), out=y)
        y = y.reshape(K, B, R, pitch)[..., :ow].transpose(1, 0, 2, 3)   # (B, K, R, ow)
        if bias is None:
            dst[...] = y
        else:
            xp.add(y, bias, out=dst)
        yield n0, n1, r0, r1, cols, pitch


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


def _gather_padding(x_shape, g_shape, w_shape, stride, pads, dilation):
    """The padding of dy under which conv_backward_input is a gather: for stride 1,
    dx = dy ⋆ flip(W)ᵀ with "full" padding (measured ≈2× faster than col2im's scatter-add at
    ResNet shapes). None where that does not apply, or is not worth it (K ≫ C)."""
    full = _full_padding(x_shape, g_shape, w_shape, stride, pads, dilation)
    K, C = w_shape[0], x_shape[1]
    if full is None or K * x_shape[2] * x_shape[3] > 2 * C * g_shape[2] * g_shape[3]:
        return None
    return full


def _flipped(w, groups):
    """The kernel of the adjoint: W (K, C/G, kh, kw) → (C, K/G, kh, kw), each group's
    transpose with its taps reversed."""
    K, Cg, kh, kw = w.shape
    wf = w.reshape(groups, K // groups, Cg, kh, kw)[..., ::-1, ::-1].swapaxes(1, 2)
    return array_module(w).ascontiguousarray(wf).reshape(Cg * groups, K // groups, kh, kw)


def _batch_major(g, n0, n1, r0, r1, width, out):
    """dy[n0:n1, :, r0:r1] (B, K, R, ow) copied into `out` as (K, B, R·width), zero in the
    over-width columns ≥ ow."""
    B, K, R, ow = n1 - n0, g.shape[1], r1 - r0, g.shape[3]
    gb = out[:K * B * R * width].reshape(K, B, R, width)
    gb[..., :ow] = g[n0:n1, :, r0:r1].transpose(1, 0, 2, 3)
    gb[..., ow:] = 0
    return gb.reshape(K, B, R * width)


def conv_backward_input(g, w, x_shape, stride, pads, dilation, groups, b=None):
    """dx (x_shape) = col2im(Wᵀ · dy): the adjoint of conv_forward in x (and conv-transpose's
    forward, plus its bias b). dy: (N, K, oh, ow); W: (K, C/G, kh, kw)."""
    xp = array_module(g, w)
    full = _gather_padding(x_shape, g.shape, w.shape, stride, pads, dilation)
    if full is not None:
        return conv_forward(g, _flipped(w, groups), b, stride, full, dilation, groups,
                            x_shape[2:])
    g = xp.ascontiguousarray(g)
    dx = xp.empty(x_shape, g.dtype)
    _over_batch(lambda n0, n1: _scatter_input_grad(g[n0:n1], w, dx[n0:n1], stride, pads,
                                                   dilation, groups, b),
                g.shape[0], w.shape, g.shape[2:])
    return dx


def _scatter_input_grad(g, w, dx, stride, pads, dilation, groups, b):
    """conv_backward_input's col2im path on one range of the batch, written into dx."""
    xp = array_module(g, w)
    N, C, H, W = dx.shape
    K, Cg, kh, kw = w.shape
    G, (oh, ow) = groups, g.shape[2:]
    wt = w.reshape(G, K // G, Cg * kh * kw).swapaxes(1, 2)  # (G, C/G·kh·kw, K/G)
    bias = None if b is None else b.reshape(C, 1, 1)
    if _is_pointwise((kh, kw), stride, pads, (H, W), (oh, ow)):
        xp.matmul(wt, g.reshape(N, G, K // G, H * W), out=dx.reshape(N, G, Cg, H * W))
        if bias is not None:
            dx += bias
        return
    pitch = _pitch(dx.shape, Cg, K // G, (kh, kw), stride, pads, dilation, ow)
    width = ow if pitch is None else pitch
    blocks = _blocks(N, oh, C * kh * kw * width)
    if not blocks:                                  # an empty batch (N = 0): no columns
        return
    n0, n1, r0, r1 = blocks[0]
    padded, inner, hpad = _pad_buffer(xp, (n1 - n0, C, H, W), pads, pitch, g.dtype, "pad dx")
    colbuf = _workspace(xp, "cols", (n1 - n0) * C * kh * kw * (r1 - r0) * width, g.dtype)
    gbuf = None if pitch is None else _workspace(xp, "dy", (n1 - n0) * K * (r1 - r0) * width,
                                                 g.dtype)
    for n0, n1, r0, r1 in blocks:
        B, R = n1 - n0, r1 - r0
        xpad = padded[:B]
        if r0 == 0:
            xpad.fill(0)
        if pitch is None:               # one GEMM per sample, straight from dy's layout
            cols = colbuf[:B * C * kh * kw * R * ow].reshape(B, G, Cg * kh * kw, R * ow)
            xp.matmul(wt, g[n0:n1, :, r0:r1].reshape(B, G, K // G, R * ow), out=cols)
            cols = cols.reshape(B, C, kh, kw, R, ow)
        else:                           # over-width: one GEMM for the block
            gb = _batch_major(g, n0, n1, r0, r1, width, gbuf)
            cols = colbuf[:B * C * kh * kw * R * width].reshape(G, Cg * kh * kw, B * R * width)
            xp.matmul(wt, gb.reshape(G, K // G, B * R * width), out=cols)
            cols = cols.reshape(C, kh, kw, B, R, width).transpose(3, 0, 1, 2, 4, 5)
        col2im(cols, xpad[:, :, r0 * stride[0]:], (kh, kw), stride, dilation, (R, ow), hpad)
        if r1 == oh:
            dx[n0:n1] = inner[:B]
            if bias is not None:
                dx[n0:n1] += bias


def conv_backward_weight(x, g, w_shape, stride, pads, dilation, groups):
    """dW (K, C/G, kh, kw) = Σₙ dy[n] · cols(x)[n]ᵀ, per group, summed over the threads'
    ranges of the batch."""
    parts = _over_batch(lambda n0, n1: _weight_grad(x[n0:n1], g[n0:n1], w_shape, stride, pads,
                                                    dilation, groups),
                        x.shape[0], w_shape, g.shape[2:])
    dwt = sum(parts[1:], parts[0])
    return array_module(x, g).ascontiguousarray(dwt.swapaxes(1, 2)).reshape(w_shape)


def _weight_grad(x, g, w_shape, stride, pads, dilation, groups):
    """dWᵀ per group (G, C/G·kh·kw, K/G) of one range of the batch. Packed columns: one GEMM
    per sample, from dy's layout. Over-width columns: one GEMM per block (as cols · dyᵀ,
    measured faster) with dy widened by zeros where the columns are garbage."""
    xp = array_module(x, g)
    K, Cg, kh, kw = w_shape
    G, ow, ckk = groups, g.shape[3], Cg * kh * kw
    dwt = xp.zeros((G, ckk, K // G), g.dtype)
    pitch = _pitch(x.shape, Cg, K // G, (kh, kw), stride, pads, dilation, ow)
    gbuf = None
    for n0, n1, r0, r1, cols in _columns(x, (kh, kw), stride, pads, dilation, g.shape[2:], pitch):
        B, M = n1 - n0, cols.shape[2]
        if pitch is None:
            gg = g[n0:n1, :, r0:r1].reshape(B, G, K // G, M)
            dwt += xp.matmul(gg, cols.reshape(B, G, ckk, M).swapaxes(2, 3)).sum(axis=0).swapaxes(1, 2)
            continue
        if gbuf is None:
            gbuf = _workspace(xp, "dy", K * B * M, g.dtype)
        gb = _batch_major(g, n0, n1, r0, r1, pitch, gbuf)
        dwt += xp.matmul(cols.reshape(G, ckk, B * M), gb.reshape(G, K // G, B * M).swapaxes(1, 2))
    return dwt


def conv_backward(g, x, w, stride, pads, dilation, groups, need_input=True, need_weight=True):
    """(dx, dW) of y = W ⋆ x, None for what is not needed. Where dx is the stride-1 gather
    (dy's columns under the flipped kernel), dW comes from the same columns instead of a
    second gather of x: with dy's columns cols[(k, i′, j′), q] = dy_pad[k, q + (i′, j′)],
        dW[k, c, i, j] = Σ_q x[c, q] · cols[(k, kh−1−i, kw−1−j), q],
    one GEMM per block against x laid out like the columns (batch-major, zero garbage)."""
    full = _gather_padding(x.shape, g.shape, w.shape, stride, pads, dilation)
    if full is None or not (need_input and need_weight):
        gx = conv_backward_input(g, w, x.shape, stride, pads, dilation, groups) \
            if need_input else None
        gw = conv_backward_weight(x, g, w.shape, stride, pads, dilation, groups) \
            if need_weight else None
        return gx, gw
    xp = array_module(g, x, w)
    K, Cg, kh, kw = w.shape
    dx = xp.empty(x.shape, g.dtype)
    wf = _flipped(w, groups)
    parts = _over_batch(lambda n0, n1: _gather_grads(g[n0:n1], x[n0:n1], wf, dx[n0:n1], full,
                                                     dilation, groups),
                        x.shape[0], w.shape, g.shape[2:])
    dwf = sum(parts[1:], parts[0])
    dw = dwf.reshape(groups, K // groups, kh, kw, Cg)[:, :, ::-1, ::-1].transpose(0, 1, 4, 2, 3)
    return dx, xp.ascontiguousarray(dw).reshape(w.shape)


def _gather_grads(g, x, wf, dx, full, dilation, groups):
    """conv_backward's gather path on one range of the batch: dx written into dx, and the
    weight gradient per group [(k, i′, j′), c] (G, K/G·kh·kw, C/G) returned."""
    xp = array_module(g, x, wf)
    C, Kg, kh, kw = wf.shape
    G = groups
    kk, Cg = Kg * kh * kw, C // G
    dwf = xp.zeros((G, kk, Cg), g.dtype)
    xbuf = None
    for n0, n1, r0, r1, cols, pitch in _forward_blocks(g, wf, None, (1, 1), full, dilation, G,
                                                       dx):
        B, M = n1 - n0, cols.shape[2]
        if pitch is None:                               # per sample, x in its own layout
            xb = x[n0:n1, :, r0:r1].reshape(B, G, Cg, M)
            dwf += xp.matmul(cols.reshape(B, G, kk, M), xb.swapaxes(2, 3)).sum(axis=0)
            continue
        if xbuf is None:
            xbuf = _workspace(xp, "x batch-major", C * B * M, x.dtype)
        xb = _batch_major(x, n0, n1, r0, r1, pitch, xbuf)        # (C, B·R·pitch)
        dwf += xp.matmul(cols.reshape(G, kk, B * M), xb.reshape(G, Cg, B * M).swapaxes(1, 2))
    return dwf


# y[n,k,u,v] = b[k] + Σ_{c,i,j} W[k,c,i,j] · x[n, c, u·s + i·d − p, v·s + j·d − p]   (deck 002)
class Conv(Function):
    def forward(self, x, w, b, stride, pads, dilation, groups, out_hw):
        self.x, self.w, self.geom = x, w, (stride, pads, dilation, groups)
        return conv_forward(x, w, b, stride, pads, dilation, groups, out_hw)

    def backward(self, g):
        need = self.needs_input_grad
        gx, gw = conv_backward(g, self.x, self.w, *self.geom, need[0], need[1])
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
