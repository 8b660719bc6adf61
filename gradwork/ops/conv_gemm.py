"""The GEMM lowering of a convolution: im2col/col2im (ops/window.py) in cache-sized blocks, each
consumed by one batched GEMM before it is evicted. The kernels work on raw arrays; which of them
runs, with which column layout, is decided once by the plan (ops/conv_plan.py).

    forward_blocks        y  = W · cols(x)                 (per group; conv's forward)
    scatter_input_grad    dx = col2im(Wᵀ · dy)             (the adjoint; conv-transpose's forward)
    weight_grad           dW = Σₙ dy · cols(x)ᵀ
    gather_grads          dx and dW from the columns of dy (stride 1: dx is a convolution)

Columns are packed per sample (B, C·kh·kw, R·ow), or, with a row pitch (stride 1), over-width
and batch-major (C·kh·kw, B, R·pitch): each kernel offset's windows are one long run of the
flat plane, one GEMM covers the block, and 'same' padding is virtual (window.py). Scratch
buffers come from the backend's workspace cache. The batch (or, for a big single image, the
output rows) is cut into blocks whose columns fit in this thread's share of _BLOCK.
"""
from ..backend import array_module, np, workspace
from ..threads import sharing
from .window import col2im, im2col

# Elements of one im2col block (4 MB in float32), small enough to stay in cache between the
# gather and the GEMM that reads it (measured faster than whole-batch columns); threads that
# work at once share it (half each on two threads: measured 7 % faster on ResNet-20 than
# 4 MB each, while serial LeNet-5 and VGG-16 lose 5–8 % with 2 MB).
_BLOCK = 1 << 20
# On a GPU (CuPy) there is no cache to fit: blocks as large as this (1 GiB of float32) so that
# a convolution is one gather and one GEMM launch, bounded for very large batches.
_DEVICE_BLOCK = 1 << 28


def blocks(N, oh, per_row, xp=np):
    """(n0, n1, r0, r1): whole samples while their columns fit in this thread's share of
    _BLOCK (_DEVICE_BLOCK for a GPU's arrays), else row bands of one."""
    block = _BLOCK // sharing() if xp is np else _DEVICE_BLOCK
    if per_row * oh <= block:
        step = max(1, block // (per_row * oh))
        return [(n0, min(N, n0 + step), 0, oh) for n0 in range(0, N, step)]
    step = max(1, block // per_row)
    return [(n, n + 1, r0, min(oh, r0 + step)) for n in range(N) for r0 in range(0, oh, step)]


def _view(a, shape):
    """Reshape that must not copy (we write through it)."""
    xp = array_module(a)
    if xp is np:
        return np.reshape(a, shape, copy=False)
    view = a.view()                     # CuPy: setting the shape raises where it would copy
    view.shape = shape
    return view


def is_pointwise(kernel, stride, pads, in_hw, out_hw):
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
        padded = workspace(xp, role, B * C * Hp * Wp, dtype, zero=True).reshape(B, C, Hp, Wp)
        return padded, padded[:, :, pt:pt + H, pl:pl + W], (0, 0)
    plane = Hp * W
    flat = workspace(xp, role, pl + B * C * plane + pr, dtype, zero=True)
    it = flat.itemsize
    padded = xp.lib.stride_tricks.as_strided(flat, (B, C, Hp, Wp),
                                             (C * plane * it, plane * it, W * it, it))
    return padded, flat[pl:pl + B * C * plane].reshape(B, C, Hp, W)[:, :, pt:pt + H], (pl, pr)


def columns(x, kernel, stride, pads, dilation, out_hw, pitch):
    """im2col(pad(x)) in blocks: yields (n0, n1, r0, r1, cols), packed per sample
    (B, C·kh·kw, R·ow) or, with a pitch, over-width batch-major (C·kh·kw, B, R·pitch); cols is
    reused. The first block is the largest. A pointwise convolution's columns are its input."""
    xp = array_module(x)
    N, C, H, W = x.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    if is_pointwise(kernel, stride, pads, (H, W), out_hw):
        yield 0, N, 0, oh, x.reshape(N, C, H * W)
        return
    width = ow if pitch is None else pitch
    parts = blocks(N, oh, C * kh * kw * width, xp)
    if not parts:                                   # an empty batch (N = 0): no columns
        return
    n0, n1, r0, r1 = parts[0]
    padded = inner = None
    hpad = (0, 0)
    if any(pads[0] + pads[1]):
        padded, inner, hpad = _pad_buffer(xp, (n1 - n0, C, H, W), pads, pitch, x.dtype,
                                          "pad x")
    elif pitch is not None:
        x = xp.ascontiguousarray(x)                 # over-width runs need contiguous rows
    colbuf = workspace(xp, "cols", (n1 - n0) * C * kh * kw * (r1 - r0) * width, x.dtype)
    xpad = None
    for n0, n1, r0, r1 in parts:
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


def forward_blocks(x, w, b, stride, pads, dilation, groups, out, pitch):
    """y = W ⋆ x + b written into `out` (B, K, oh, ow) block by block; after each block's GEMM
    it yields (n0, n1, r0, r1, cols, pitch) so that a caller can use the same columns again.
    Packed columns (or one sample without garbage columns): one GEMM per sample, written in
    y's layout. Over-width columns: one GEMM for the whole block, then y's columns copied out."""
    xp = array_module(x, w)
    K, G = w.shape[0], groups
    oh, ow = out_hw = out.shape[2:]
    ckk = w[0].size                                     # C/G · kh · kw
    wg = w.reshape(G, K // G, ckk)                      # (G, K/G, C/G·kh·kw)
    bias = None if b is None else b.reshape(K, 1, 1)
    ybuf = None
    for n0, n1, r0, r1, cols in columns(x, w.shape[2:], stride, pads, dilation, out_hw, pitch):
        B, R, M = n1 - n0, r1 - r0, cols.shape[2]
        dst = out[n0:n1, :, r0:r1]
        if pitch is None or (B == 1 and pitch == ow):   # (B, C·kh·kw, M) either way
            xp.matmul(wg, cols.reshape(B, G, ckk, M), out=_view(dst, (B, G, K // G, M)))
            if bias is not None:
                dst += bias
            yield n0, n1, r0, r1, cols, None
            continue
        if ybuf is None:
            ybuf = workspace(xp, "y", K * B * M, x.dtype)
        y = ybuf[:K * B * M].reshape(G, K // G, B * M)
        xp.matmul(wg, cols.reshape(G, ckk, B * M), out=y)
        y = y.reshape(K, B, R, pitch)[..., :ow].transpose(1, 0, 2, 3)   # (B, K, R, ow)
        if bias is None:
            dst[...] = y
        else:
            xp.add(y, bias, out=dst)
        yield n0, n1, r0, r1, cols, pitch


def batch_major(g, n0, n1, r0, r1, width, out):
    """dy[n0:n1, :, r0:r1] (B, K, R, ow) copied into `out` as (K, B, R·width), zero in the
    over-width columns ≥ ow."""
    B, K, R, ow = n1 - n0, g.shape[1], r1 - r0, g.shape[3]
    gb = out[:K * B * R * width].reshape(K, B, R, width)
    gb[..., :ow] = g[n0:n1, :, r0:r1].transpose(1, 0, 2, 3)
    gb[..., ow:] = 0
    return gb.reshape(K, B, R * width)


def scatter_input_grad(g, w, dx, stride, pads, dilation, groups, b, pitch):
    """dx = col2im(Wᵀ · dy) (+ b, for conv-transpose) on one range of the batch, written into
    dx (B, C, H, W); dy (B, K, oh, ow) C-contiguous."""
    xp = array_module(g, w)
    N, C, H, W = dx.shape
    K, Cg, kh, kw = w.shape
    G, (oh, ow) = groups, g.shape[2:]
    wt = w.reshape(G, K // G, Cg * kh * kw).swapaxes(1, 2)  # (G, C/G·kh·kw, K/G)
    bias = None if b is None else b.reshape(C, 1, 1)
    if is_pointwise((kh, kw), stride, pads, (H, W), (oh, ow)):
        xp.matmul(wt, g.reshape(N, G, K // G, H * W), out=dx.reshape(N, G, Cg, H * W))
        if bias is not None:
            dx += bias
        return
    width = ow if pitch is None else pitch
    parts = blocks(N, oh, C * kh * kw * width, xp)
    if not parts:                                   # an empty batch (N = 0): no columns
        return
    n0, n1, r0, r1 = parts[0]
    padded, inner, hpad = _pad_buffer(xp, (n1 - n0, C, H, W), pads, pitch, g.dtype, "pad dx")
    colbuf = workspace(xp, "cols", (n1 - n0) * C * kh * kw * (r1 - r0) * width, g.dtype)
    gbuf = None if pitch is None else workspace(xp, "dy", (n1 - n0) * K * (r1 - r0) * width,
                                                g.dtype)
    for n0, n1, r0, r1 in parts:
        B, R = n1 - n0, r1 - r0
        xpad = padded[:B]
        if r0 == 0:
            xpad.fill(0)
        if pitch is None:               # one GEMM per sample, straight from dy's layout
            cols = colbuf[:B * C * kh * kw * R * ow].reshape(B, G, Cg * kh * kw, R * ow)
            xp.matmul(wt, g[n0:n1, :, r0:r1].reshape(B, G, K // G, R * ow), out=cols)
            cols = cols.reshape(B, C, kh, kw, R, ow)
        else:                           # over-width: one GEMM for the block
            gb = batch_major(g, n0, n1, r0, r1, width, gbuf)
            cols = colbuf[:B * C * kh * kw * R * width].reshape(G, Cg * kh * kw, B * R * width)
            xp.matmul(wt, gb.reshape(G, K // G, B * R * width), out=cols)
            cols = cols.reshape(C, kh, kw, B, R, width).transpose(3, 0, 1, 2, 4, 5)
        col2im(cols, xpad[:, :, r0 * stride[0]:], (kh, kw), stride, dilation, (R, ow), hpad)
        if r1 == oh:
            dx[n0:n1] = inner[:B]
            if bias is not None:
                dx[n0:n1] += bias


def weight_grad(x, g, w_shape, stride, pads, dilation, groups, pitch):
    """dWᵀ per group (G, C/G·kh·kw, K/G) of one range of the batch. Packed columns: one GEMM
    per sample, from dy's layout. Over-width columns: one GEMM per block (as cols · dyᵀ,
    measured faster) with dy widened by zeros where the columns are garbage."""
    xp = array_module(x, g)
    K, Cg, kh, kw = w_shape
    G, ckk = groups, Cg * kh * kw
    dwt = xp.zeros((G, ckk, K // G), g.dtype)
    gbuf = None
    for n0, n1, r0, r1, cols in columns(x, (kh, kw), stride, pads, dilation, g.shape[2:], pitch):
        B, M = n1 - n0, cols.shape[2]
        if pitch is None:
            gg = g[n0:n1, :, r0:r1].reshape(B, G, K // G, M)
            dwt += xp.matmul(gg, cols.reshape(B, G, ckk, M).swapaxes(2, 3)).sum(axis=0) \
                .swapaxes(1, 2)
            continue
        if gbuf is None:
            gbuf = workspace(xp, "dy", K * B * M, g.dtype)
        gb = batch_major(g, n0, n1, r0, r1, pitch, gbuf)
        dwt += xp.matmul(cols.reshape(G, ckk, B * M), gb.reshape(G, K // G, B * M).swapaxes(1, 2))
    return dwt


def gather_grads(g, x, wf, dx, full, dilation, groups, pitch):
    """Stride 1: dx = dy ⋆ flip(W)ᵀ under "full" padding, written into dx, and the weight
    gradient from the same columns of dy, returned per group [(k, i′, j′), c]
    (G, K/G·kh·kw, C/G): with cols[(k, i′, j′), q] = dy_pad[k, q + (i′, j′)],
        dW[k, c, i, j] = Σ_q x[c, q] · cols[(k, kh−1−i, kw−1−j), q],
    one GEMM per block against x laid out like the columns (batch-major, zero garbage)."""
    xp = array_module(g, x, wf)
    C, Kg, kh, kw = wf.shape
    G = groups
    kk, Cg = Kg * kh * kw, C // G
    dwf = xp.zeros((G, kk, Cg), g.dtype)
    xbuf = None
    for n0, n1, r0, r1, cols, layout in forward_blocks(g, wf, None, (1, 1), full, dilation, G,
                                                       dx, pitch):
        B, M = n1 - n0, cols.shape[2]
        if layout is None:                              # per sample, x in its own layout
            xb = x[n0:n1, :, r0:r1].reshape(B, G, Cg, M)
            dwf += xp.matmul(cols.reshape(B, G, kk, M), xb.swapaxes(2, 3)).sum(axis=0)
            continue
        if xbuf is None:
            xbuf = workspace(xp, "x batch-major", C * B * M, x.dtype)
        xb = batch_major(x, n0, n1, r0, r1, layout, xbuf)        # (C, B·R·pitch)
        dwf += xp.matmul(cols.reshape(G, kk, B * M), xb.reshape(G, Cg, B * M).swapaxes(1, 2))
    return dwf
