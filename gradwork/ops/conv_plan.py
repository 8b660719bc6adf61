"""The convolution plan: every choice a convolution's geometry implies, made once.

A `ConvPlan` is built from (input shape, weight shape, stride, padding, dilation, groups,
output size) of y = W ⋆ x, NCHW; its dtype is the arrays'. It names the algorithm of each
direction and holds what backward needs from forward's choices:

    forward      'pointwise'  1×1 stride 1 unpadded: x is its own columns, one GEMM
                 'im2col'     im2col + batched GEMM (ops/conv_gemm.py), packed or over-width
    input grad   'gather'     stride 1: dx = dy ⋆ flip(W)ᵀ, and dW from the same columns of dy
                 'col2im'     Wᵀ · dy, then col2im's scatter-add
    split        'rows'       a single image: bands of output rows, one per thread
                 'batch'      one range of samples per thread; None: the calling thread

Conv-transpose is the adjoint of the same convolution, so it runs on the same plan: its
forward is the plan's input gradient and its input gradient is the plan's forward.
Depthwise convolutions (groups = C = K) take the GEMM path too: pooling's loop over kernel
offsets (window.offset_slices), weighted, measured 2–4× slower than im2col + GEMM forward and
backward (N=32, C=64, 32×32, 3×3 and N=8, C=128, 16×16, 5×5).

oneDNN (kernels/onednn.py, optional; `gradwork.backends.mkldnn`) takes a float32 direction
where this measured rule (`onednn_layout`) says it wins, on the calling thread for the whole
batch, with gradwork's thread count as its OpenMP team where `split` is not None and one
thread where it is (LeNet-5's step at 2 threads: 0.81× the NumPy path's time with one
thread there, 1.1–1.3× with a 2-thread team). Measured at 1 thread, CPU time, against this
file's NumPy path on W1/W2/W4's layers and a few grouped ones (`python -m benchmarks.onednn
layers`; docs/ARCHITECTURE.md has the figures):
    kernel > 1×1   oneDNN's blocked layouts (nChw16c: the arrays reordered in and out, its
                   direct JIT kernels): 0.2–0.8× forward, input grad and weight grad; except
                   the input grad of C < 8 channels (a network's stem, a conv-transpose to an
                   image) in plain NCHW (0.67–0.85×; blocked 1.4–4× slower there), and the
                   weight grad of a depthwise convolution larger than 3×3 on NumPy (oneDNN
                   2.8–3× slower at 5×5; 0.6–1.05× at 3×3)
    1×1            plain NCHW for the input grad (0.46–0.81×) and a stride-1 forward (0.65×);
                   a strided forward (0.9–1.1×) and the weight grad (1.1–1.4×) stay NumPy;
                   blocked layouts are slower in every direction
Elsewhere, for float64 (the gradient checks), on a GPU, or where oneDNN is off or absent,
the NumPy algorithms above run.
"""
import math

from ..backend import array_module, np
from ..backends import mkldnn
from ..kernels import onednn
from ..threads import get_num_threads, over_ranges, serial_blas, sharing
from . import conv_gemm

# Below this many multiply-adds a convolution runs in the calling thread: handing its halves
# to the pool costs more than it saves (measured at LeNet-5's, of 7–15 M).
_PARALLEL_MACS = 1 << 25

# Over-width columns (window.py) cost (pitch − ow)·K/G extra multiply-adds per window and save
# the short-run copy overhead, worth about this many multiply-adds (measured at LeNet, ResNet
# and VGG shapes).
_RUN_COST = 320


def _pitch(B, W, c_per_group, k_per_group, kernel, stride, pads, dilation, ow):
    """Row pitch of over-width columns for a stride-1 convolution of B samples, or None for
    packed ones. The input's own width W where the padding is within the kernel's reach
    (pl + pr ≤ d(kw − 1): 'same', 'valid'; the horizontal padding is then virtual), else the
    padded width. None for 1×1 kernels, where the extra GEMM work outweighs the copy it saves,
    and where a batch's columns are not much larger than its output (C/G·kh·kw < 2·K/G: a
    network's 3-channel stem): the batch-major layout then costs more in the copies of y and
    dy than it saves in im2col."""
    if tuple(stride) != (1, 1) or tuple(kernel) == (1, 1):
        return None
    if B > 1 and c_per_group * kernel[0] * kernel[1] < 2 * k_per_group:
        return None
    pl, pr = pads[1]
    pitch = W if pl + pr <= dilation[1] * (kernel[1] - 1) else W + pl + pr
    return pitch if (pitch - ow) * k_per_group <= _RUN_COST else None


def _gather_padding(x_shape, w_shape, out_hw, stride, pads, dilation):
    """For stride 1, the padding of dy under which conv(dy, flipped W) has x's size and is the
    adjoint: d(k − 1) − p before, the rest after (measured ≈2× faster than col2im's
    scatter-add at ResNet shapes). None where a side would be negative, or K ≫ C."""
    if tuple(stride) != (1, 1):
        return None
    full = []
    for a in range(2):
        span = dilation[a] * (w_shape[2 + a] - 1)
        lo = span - pads[a][0]
        hi = x_shape[2 + a] - out_hw[a] + span - lo
        if lo < 0 or hi < 0:
            return None
        full.append((lo, hi))
    K, C = w_shape[0], x_shape[1]
    if K * x_shape[2] * x_shape[3] > 2 * C * out_hw[0] * out_hw[1]:
        return None
    return tuple(full)


def _flipped(w, groups):
    """The kernel of the adjoint: W (K, C/G, kh, kw) → (C, K/G, kh, kw), each group's
    transpose with its taps reversed."""
    K, Cg, kh, kw = w.shape
    wf = w.reshape(groups, K // groups, Cg, kh, kw)[..., ::-1, ::-1].swapaxes(1, 2)
    return array_module(w).ascontiguousarray(wf).reshape(Cg * groups, K // groups, kh, kw)


def _row_slab(x, r0, r1, kh, s, pads, d):
    """The rows of x (and their vertical padding) that output rows [r0, r1) read: a
    convolution of the slab with these pads gives exactly those rows."""
    H, pt = x.shape[2], pads[0][0]
    lo, hi = r0 * s - pt, (r1 - 1) * s - pt + d * (kh - 1) + 1
    return x[:, :, max(lo, 0):min(hi, H)], ((max(-lo, 0), max(hi - H, 0)), pads[1])


# Elements (float32) of one blocked copy beyond which oneDNN's forward runs in slices of the
# batch (16 MiB: W2's largest activation at batch 128 is 2 M elements, one VGG-16 image's 3.2 M).
_ONEDNN_SLICE = 1 << 22


def onednn_layout(direction, x_shape, w_shape, groups, stride):
    """The measured rule (module docstring): 'blocked' or 'plain' for oneDNN's layouts, or
    None where the NumPy path is faster, for direction 'forward', 'input_grad' or
    'weight_grad' of a float32 convolution."""
    K, Cg, kh, kw = w_shape
    if (kh, kw) == (1, 1):
        if direction == "weight_grad" or (direction == "forward" and tuple(stride) != (1, 1)):
            return None
        return "plain"
    if direction == "input_grad" and x_shape[1] < 8:
        return "plain"
    if direction == "weight_grad" and groups > 1 and Cg == 1 and kh * kw > 9:
        return None
    return "blocked"


class ConvPlan:
    """The algorithms and layouts of y (N, K, oh, ow) = W (K, C/G, kh, kw) ⋆ x (N, C, H, W)."""

    def __init__(self, x_shape, w_shape, stride, pads, dilation, groups, out_hw,
                 accelerate=True):
        self.x_shape, self.w_shape = tuple(x_shape), tuple(w_shape)
        self.accelerate = accelerate    # False: NumPy only (the gather path's inner plan)
        self.stride, self.pads, self.dilation = tuple(stride), tuple(pads), tuple(dilation)
        self.groups, self.out_hw = groups, tuple(out_hw)
        N, kernel = x_shape[0], w_shape[2:]
        self.full = _gather_padding(x_shape, w_shape, out_hw, stride, pads, dilation)
        pointwise = conv_gemm.is_pointwise(kernel, stride, pads, x_shape[2:], out_hw)
        self.forward_algorithm = "pointwise" if pointwise else "im2col"
        self.input_grad_algorithm = "col2im" if self.full is None else "gather"
        parallel = N * math.prod(w_shape) * out_hw[0] * out_hw[1] >= _PARALLEL_MACS
        self.split = (None if not parallel else "rows" if N < get_num_threads() else "batch")

    def __repr__(self):
        return (f"ConvPlan(forward={self.forward_algorithm!r}, input_grad="
                f"{self.input_grad_algorithm!r}, split={self.split!r})")

    def onednn(self, direction, like, bias=False):
        """The oneDNN convolution that runs `direction` for arrays like `like`, or None for
        the NumPy path (not float32 NumPy arrays, oneDNN off or absent, the measured rule)."""
        if not (self.accelerate and mkldnn.enabled and like.dtype == np.float32
                and array_module(like) is np and self.x_shape[0] > 0):
            return None
        layout = onednn_layout(direction, self.x_shape, self.w_shape, self.groups, self.stride)
        if layout is None or not onednn.available():
            return None
        # One thread where the NumPy path would not split either (too small), or inside a
        # pool split (its range is this thread's)
        threads = 1 if self.split is None or sharing() > 1 else get_num_threads()
        try:
            return onednn.convolution(self.x_shape, self.w_shape, self.stride, self.pads,
                                      self.dilation, self.groups, self.out_hw, bias,
                                      layout == "blocked", threads)
        except onednn.OneDNNError:      # a geometry it does not implement: NumPy's
            return None

    def _onednn_slice(self):
        """Samples per oneDNN forward call: all of them unless the blocked copies of one
        call's input or output (workspace buffers, beside x and y) would pass _ONEDNN_SLICE
        elements; then as many as fit, at least one. Bounds the extra memory of a large
        batch of large images (VGG-16 inference at batch 8–32 needed 49.6 MiB per image
        instead of PyTorch's 37.3 with the whole batch in one call; W2 and batch 1 are one
        call)."""
        K, (oh, ow) = self.w_shape[0], self.out_hw
        per_sample = max(math.prod(self.x_shape[1:]), K * oh * ow)
        return max(1, _ONEDNN_SLICE // per_sample)

    def _part(self, n):
        """The plan of the same convolution on n samples."""
        return ConvPlan((n, *self.x_shape[1:]), self.w_shape, self.stride, self.pads,
                        self.dilation, self.groups, self.out_hw, self.accelerate)

    def pitch(self, B, pads=None):
        """Over-width row pitch for a part of B samples (None: packed columns)."""
        K, Cg, *kernel = self.w_shape
        return _pitch(B, self.x_shape[3], Cg, K // self.groups, kernel, self.stride,
                      self.pads if pads is None else pads, self.dilation, self.out_hw[1])

    def _adjoint_pitch(self, B):
        """The pitch of the gather path's convolution of dy (B, K, oh, ow) by flip(W)."""
        K, Cg, *kernel = self.w_shape
        return _pitch(B, self.out_hw[1], K // self.groups, Cg, kernel, (1, 1), self.full,
                      self.dilation, self.x_shape[3])

    def _over_batch(self, fn, N, like):
        """fn(n0, n1) over the threads' ranges of the batch, or whole in this thread with a
        1-thread BLAS (and whole on a GPU, where one call over the batch keeps the device
        busy); the results."""
        if array_module(like) is not np:
            return [fn(0, N)]
        return over_ranges(fn, N) if self.split is not None else [serial_blas(fn, 0, N)]

    # ------------------------------------------------------------ forward
    def forward(self, x, w, b):
        """y = W ⋆ x + b."""
        dnnl = self.onednn("forward", x, b is not None)
        N, step = x.shape[0], self._onednn_slice()
        if dnnl is not None and step < N:       # slices of the batch, one primitive per size
            dnnl = {n: self._part(n).onednn("forward", x, b is not None)
                    for n in {step, N % step or step}}
            dnnl = None if None in dnnl.values() else dnnl
        if dnnl is not None:
            out = np.empty((N, w.shape[0], *self.out_hw), np.float32)
            c = np.ascontiguousarray
            x, w, b = c(x), c(w), None if b is None else c(b)
            for n0 in range(0, N, step):
                n1 = min(N, n0 + step)
                (dnnl if step >= N else dnnl[n1 - n0]).forward(x[n0:n1], w, b, out[n0:n1])
            return out
        out = array_module(x, w).empty((x.shape[0], w.shape[0], *self.out_hw), x.dtype)
        if self.split == "rows" and array_module(x) is np:   # one image: its output rows
            over_ranges(lambda r0, r1: self._rows(x, w, b, out, r0, r1), self.out_hw[0])
        else:
            self._over_batch(lambda n0, n1: self._samples(x[n0:n1], w, b, out[n0:n1]),
                             x.shape[0], x)
        return out

    def _samples(self, x, w, b, out):
        for _ in conv_gemm.forward_blocks(x, w, b, self.stride, self.pads, self.dilation,
                                          self.groups, out, self.pitch(x.shape[0])):
            pass

    def _rows(self, x, w, b, out, r0, r1):
        slab, pads = _row_slab(x, r0, r1, w.shape[2], self.stride[0], self.pads,
                               self.dilation[0])
        for _ in conv_gemm.forward_blocks(slab, w, b, self.stride, pads, self.dilation,
                                          self.groups, out[:, :, r0:r1],
                                          self.pitch(x.shape[0], pads)):
            pass

    # ------------------------------------------------------------ the adjoint in x
    def input_grad(self, g, w, b=None):
        """dx = Wᵀ ⋆ᵀ dy (+ b: conv-transpose's forward), of x's shape."""
        xp = array_module(g, w)
        dnnl = self.onednn("input_grad", g)
        if dnnl is not None:
            dx = np.empty((g.shape[0], *self.x_shape[1:]), np.float32)
            dnnl.backward_data(np.ascontiguousarray(g), np.ascontiguousarray(w), dx)
            if b is not None:
                dx += b.reshape(-1, 1, 1)
            return dx
        if self.full is not None:
            adjoint = ConvPlan(g.shape, (self.x_shape[1], *w.shape[1:]), (1, 1), self.full,
                               self.dilation, self.groups, self.x_shape[2:], accelerate=False)
            return adjoint.forward(g, _flipped(w, self.groups), b)
        g = xp.ascontiguousarray(g)
        dx = xp.empty((g.shape[0], *self.x_shape[1:]), g.dtype)
        self._over_batch(lambda n0, n1: self._scatter(g[n0:n1], w, dx[n0:n1], b), g.shape[0],
                         g)
        return dx

    def _scatter(self, g, w, dx, b):
        conv_gemm.scatter_input_grad(g, w, dx, self.stride, self.pads, self.dilation,
                                     self.groups, b, self.pitch(dx.shape[0]))

    # ------------------------------------------------------------ the adjoint in W
    def weight_grad(self, x, g):
        """dW = Σₙ dy · cols(x)ᵀ, summed over the threads' ranges of the batch."""
        xp = array_module(x, g)
        dnnl = self.onednn("weight_grad", x)
        if dnnl is not None:
            dw = np.empty(self.w_shape, np.float32)
            dnnl.backward_weights(np.ascontiguousarray(x), np.ascontiguousarray(g), dw)
            return dw
        parts = self._over_batch(lambda n0, n1: conv_gemm.weight_grad(
            x[n0:n1], g[n0:n1], self.w_shape, self.stride, self.pads, self.dilation,
            self.groups, self.pitch(n1 - n0)), x.shape[0], x)
        dwt = sum(parts[1:], parts[0])
        return xp.ascontiguousarray(dwt.swapaxes(1, 2)).reshape(self.w_shape)

    def backward(self, g, x, w, need_input=True, need_weight=True):
        """(dx, dW), None for what is not needed. On the gather path with both needed, dW
        comes from dy's columns instead of a second gather of x (conv_gemm.gather_grads)."""
        if (self.full is None or not (need_input and need_weight)
                or self.onednn("input_grad", g) is not None
                or self.onednn("weight_grad", x) is not None):
            return (self.input_grad(g, w) if need_input else None,
                    self.weight_grad(x, g) if need_weight else None)
        xp = array_module(g, x, w)
        K, Cg, kh, kw = w.shape
        G = self.groups
        dx = xp.empty(x.shape, g.dtype)
        wf = _flipped(w, G)
        parts = self._over_batch(lambda n0, n1: conv_gemm.gather_grads(
            g[n0:n1], x[n0:n1], wf, dx[n0:n1], self.full, self.dilation, G,
            self._adjoint_pitch(n1 - n0)), x.shape[0], x)
        dwf = sum(parts[1:], parts[0])
        dw = dwf.reshape(G, K // G, kh, kw, Cg)[:, :, ::-1, ::-1].transpose(0, 1, 4, 2, 3)
        return dx, xp.ascontiguousarray(dw).reshape(w.shape)
