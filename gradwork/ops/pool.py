"""Pooling: max (with PyTorch's flat indices), max-unpool, average, adaptive average and max.

All windows come from ops/window.py; the 1-D forms are the 2-D ones on planes of height 1,
and unbatched inputs are accepted as in PyTorch. Max-pooling's backward and max-unpooling are
one pair: both move values between an output and the flat positions `indices` of each input
plane (position h·W + w), the first adding (windows may overlap), the second assigning.
"""
import math

from ..autograd import Function, is_grad_enabled
from ..backend import array_module, int64
from .window import as_planes, col2im, offset_slices, out_size, pad_planes, window_params


# ---------------------------------------------------------------- shared geometry
def _geometry(fn, x, kernel_size, stride, padding, dilation, ceil_mode, nd):
    """kernel, stride, dilation, pads (ceil-mode windows may reach past the right padding),
    out_hw, and the symmetric padding, all 2-tuples; PyTorch's checks."""
    kernel, = window_params(nd, fn, kernel_size=(kernel_size, 1))
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        stride = kernel
    else:
        stride, = window_params(nd, fn, stride=(stride, 1))
    padding, dilation = window_params(nd, fn, padding=(padding, 0), dilation=(dilation, 1))
    out_hw, pads = [], []
    for a in range(2):
        if 2 * padding[a] > kernel[a]:
            raise ValueError(f"{fn}: padding should be at most half of kernel_size, got padding="
                             f"{padding[2 - nd:]} and kernel_size={kernel[2 - nd:]}")
        size, span = x.shape[2 + a], dilation[a] * (kernel[a] - 1) + 1
        o = out_size(size, kernel[a], stride[a], padding[a], padding[a], dilation[a], ceil_mode)
        if o < 1:
            raise ValueError(f"{fn}: input of shape {tuple(x.shape)} is too small for "
                             f"kernel_size={kernel[2 - nd:]}, padding={padding[2 - nd:]}, "
                             f"dilation={dilation[2 - nd:]} (output size would be {o})")
        out_hw.append(o)
        pads.append((padding[a], max(padding[a], (o - 1) * stride[a] + span - size - padding[a])))
    return kernel, stride, dilation, tuple(pads), tuple(out_hw), padding


def _plane_index(xp, indices, plane):
    """Flat positions in the (N·C·plane) array of the per-plane positions `indices` (N, C, …)."""
    N, C = indices.shape[:2]
    base = xp.arange(N * C, dtype=int64).reshape(N, C, 1) * plane
    return (indices.reshape(N, C, math.prod(indices.shape[2:])) + base).reshape(-1)  # N may be 0


def _tiles(shape, kernel, stride, pads, dilation, out_hw):
    """The windows tile the plane exactly (kernel = stride, no padding or dilation; LeNet, VGG,
    SegNet): a window op is then a reduction over axes 3 and 5 of (N, C, oh, kh, ow, kw)."""
    return (tuple(kernel) == tuple(stride) and tuple(dilation) == (1, 1)
            and not any(pads[0] + pads[1])
            and out_hw[0] * kernel[0] == shape[2] and out_hw[1] * kernel[1] == shape[3])


# ---------------------------------------------------------------- max pooling
def _has_nan(x):
    """One pass, no temporary: NaN is the max of an array that holds one."""
    return x.dtype.kind == "f" and x.size > 0 and x.max() != x.max()


# y[n,c,u,v] = max_{i,j} x[n,c, u·s + i·d − p, v·s + j·d − p];  dx[arg max] += dy   (deck 002)
# A NaN is the max (it propagates) and the arg max is the window's last NaN in row-major order,
# PyTorch's rule (`val > maxval || isnan(val)`), so the gradient goes where PyTorch sends it.
class MaxPool(Function):
    needs_inputs = False

    def forward(self, x, kernel, stride, pads, dilation, out_hw, with_indices, return_indices):
        xp = array_module(x)
        if _tiles(x.shape, kernel, stride, pads, dilation, out_hw):
            return self._forward_tiles(xp, x, kernel, out_hw, with_indices, return_indices)
        low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        xpad = pad_planes(x, pads, low)
        best = off = None
        if with_indices:
            best = xp.full(x.shape[:2] + tuple(out_hw), low, x.dtype)
            off = xp.broadcast_to(self._first_valid(xp, x.shape, kernel, stride, pads, dilation,
                                                    out_hw), best.shape).copy()
        W, nan = x.shape[3], with_indices and _has_nan(x)
        for i, j, (rows, cols) in offset_slices(kernel, stride, dilation, out_hw):
            v = xpad[:, :, rows, cols]
            if best is None:
                best = v.copy()
                continue
            if with_indices:
                wins = (v > best) | xp.isnan(v) if nan else v > best
                xp.putmask(off, wins, i * dilation[0] * W + j * dilation[1])
            xp.maximum(best, v, out=best)
        if not with_indices:
            return best
        (oh, ow), (sh, sw) = out_hw, stride
        corner = ((xp.arange(oh) * sh - pads[0][0])[:, None] * W
                  + (xp.arange(ow) * sw - pads[1][0])[None, :])   # (oh, ow) window origins
        self.indices, self.shape = off + corner, x.shape
        return (best, self.indices) if return_indices else best

    def _forward_tiles(self, xp, x, kernel, out_hw, with_indices, return_indices):
        """Windows that tile the plane: the arg max is kept as its offset c = i·kw + j in the
        window (uint8, the first maximum on ties); flat indices are made only for the caller."""
        (kh, kw), (oh, ow) = kernel, out_hw
        x6 = x.reshape(x.shape[:2] + (oh, kh, ow, kw))        # (N, C, oh, kh, ow, kw)
        v = [x6[:, :, :, c // kw, :, c % kw] for c in range(kh * kw)]
        best = v[0].copy()
        for vc in v[1:]:
            xp.maximum(best, vc, out=best)
        if not with_indices:
            return best
        # c = Σ_c' [v_0..v_c' all below the max]: counting beats a masked assignment 5×
        code, missed = xp.zeros(best.shape, xp.uint8), v[0] != best
        for vc in v[1:-1]:
            code += missed
            missed &= vc != best
        code += missed
        if _has_nan(best):                              # PyTorch's arg max: the last NaN
            for c, vc in enumerate(v):
                xp.putmask(code, xp.isnan(vc), c)
        self.code, self.shape = code, x.shape
        if not return_indices:
            return best
        W = x.shape[3]
        offset = (xp.arange(kh)[:, None] * W + xp.arange(kw)).reshape(-1)   # c → i·W + j
        corner = (xp.arange(oh) * kh * W)[:, None] + xp.arange(ow) * kw
        return best, offset[code] + corner

    def _backward_tiles(self, xp, g):
        """dx in each tile: dy at the window's arg max, zero elsewhere (kh·kw strided writes)."""
        N, C, H, W = self.shape
        (oh, ow), code = g.shape[2:], self.code
        kh, kw = H // oh, W // ow
        dx = xp.empty((N, C, oh, kh, ow, kw), g.dtype)
        for c in range(kh * kw):
            xp.multiply(g, code == c, out=dx[:, :, :, c // kw, :, c % kw])
        return dx.reshape(self.shape)

    def _first_valid(self, xp, shape, kernel, stride, pads, dilation, out_hw):
        """Offset of each window's first in-input element (PyTorch's index when all are −∞).
        With dilation a window can miss the input entirely; backward then drops it."""
        per_axis, self.empty = [], False
        for a in range(2):
            start = xp.arange(out_hw[a]) * stride[a] - pads[a][0]
            first = -(-xp.maximum(-start, 0) // dilation[a]) * dilation[a]
            self.empty |= bool((start + first >= shape[2 + a]).any()
                               or (first > dilation[a] * (kernel[a] - 1)).any())
            per_axis.append(first)
        return per_axis[0][:, None] * shape[3] + per_axis[1][None, :]

    def backward(self, g, _=None):
        xp = array_module(g)
        if getattr(self, "code", None) is not None:
            return self._backward_tiles(xp, g)
        N, C, H, W = self.shape
        dx = xp.zeros(N * C * H * W, g.dtype)
        idx = self.indices
        if getattr(self, "empty", False):                  # windows that saw no input
            inside = (idx >= 0) & (idx < H * W)
            idx, g = xp.where(inside, idx, 0), xp.where(inside, g, 0)
        xp.add.at(dx, _plane_index(xp, idx, H * W), g.reshape(-1))
        return dx.reshape(self.shape)


def _max_poolnd(fn, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                return_indices):
    x, restore = as_planes(fn, input, nd)
    kernel, stride, dilation, pads, out_hw, _ = _geometry(fn, x, kernel_size, stride, padding,
                                                          dilation, ceil_mode, nd)
    with_indices = return_indices or (is_grad_enabled() and input.requires_grad)
    out = MaxPool.apply(x, kernel=kernel, stride=stride, pads=pads, dilation=dilation,
                        out_hw=out_hw, with_indices=with_indices, return_indices=return_indices)
    return (restore(out[0]), restore(out[1])) if return_indices else restore(out)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling, PyTorch's `F.max_pool2d`: y = max over each (dilated) window of the
    −∞-padded input. input (N, C, H, W) or (C, H, W). With return_indices, also each maximum's
    flat position h·W + w in its input plane (the first one on ties), for max_unpool2d.
    ceil_mode keeps a last partial window if it starts inside the input or the left padding.
    Deck 002 (pooling layer); Ranzato et al. 2007.
    """
    return _max_poolnd("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                       ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling, PyTorch's `F.max_pool1d`: input (N, C, L) or (C, L)."""
    return _max_poolnd("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                       ceil_mode, return_indices)


# ---------------------------------------------------------------- max unpooling
# y[n,c, idx[n,c,u,v]] = x[n,c,u,v], 0 elsewhere;  dx = dy[idx]
# (Badrinarayanan et al. 2017, SegNet)
class MaxUnpool(Function):
    needs_inputs = False

    def forward(self, x, indices, out_hw):
        xp = array_module(x)
        N, C = x.shape[:2]
        self.flat = _plane_index(xp, indices, out_hw[0] * out_hw[1])
        self.shape = x.shape
        out = xp.zeros(N * C * out_hw[0] * out_hw[1], x.dtype)
        out[self.flat] = x.reshape(-1)
        return out.reshape(N, C, *out_hw)

    def backward(self, g):
        return g.reshape(-1)[self.flat].reshape(self.shape), None


def _max_unpoolnd(fn, nd, input, indices, kernel_size, stride, padding, output_size):
    x, restore = as_planes(fn, input, nd)
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype.kind not in "iu":
        raise ValueError(f"{fn}: indices must be integers of the input's shape "
                         f"{tuple(input.shape)}, got {indices.dtype} of shape "
                         f"{tuple(indices.shape)}")
    idx, _ = as_planes(fn, indices, nd)
    kernel, = window_params(nd, fn, kernel_size=(kernel_size, 1))
    stride, = window_params(nd, fn, stride=(kernel_size if stride is None else stride, 1))
    padding, = window_params(nd, fn, padding=(padding, 0))
    default = [(x.shape[2 + a] - 1) * stride[a] - 2 * padding[a] + kernel[a] for a in range(2)]
    out_hw = list(default)
    if output_size is not None:
        given = [int(s) for s in output_size][-nd:]
        if len(given) != nd:
            raise ValueError(f"{fn}: output_size must end with {nd} spatial sizes, got "
                             f"{output_size!r}")
        for k, s in enumerate(given):
            a = k + 2 - nd
            if not default[a] - stride[a] < s < default[a] + stride[a]:
                raise ValueError(f"{fn}: output_size {tuple(given)} must be within a stride of "
                                 f"the default size {tuple(default[2 - nd:])}")
            out_hw[a] = s
    plane = out_hw[0] * out_hw[1]
    if idx._data.size and (int(idx._data.min()) < 0 or int(idx._data.max()) >= plane):
        raise ValueError(f"{fn}: indices must lie in [0, {plane}) for output planes "
                         f"{tuple(out_hw[2 - nd:])}, got values in [{int(idx._data.min())}, "
                         f"{int(idx._data.max())}]")
    return restore(MaxUnpool.apply(x, idx, out_hw=tuple(out_hw)))


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d, PyTorch's `F.max_unpool2d`: each value goes back to the
    flat position `indices` gave it, zeros elsewhere. Output size (H − 1)s − 2p + k unless
    `output_size` says otherwise. Used by SegNet's decoder (Badrinarayanan et al. 2017)."""
    return _max_unpoolnd("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                         output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """1-D max-unpooling, PyTorch's `F.max_unpool1d`: input and indices (N, C, L) or (C, L)."""
    return _max_unpoolnd("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                         output_size)


# ---------------------------------------------------------------- average pooling
def _divisors(xp, size, kernel, stride, pad, out, count_include_pad):
    """Per-axis window sizes: clipped to the padded input, or to the input itself."""
    start = xp.arange(out) * stride - pad
    end = xp.minimum(start + kernel, size + pad)
    if count_include_pad:
        return end - start
    return xp.minimum(end, size) - xp.maximum(start, 0)


# y[n,c,u,v] = (1/|window|) Σ_{i,j} x[n,c, u·s + i − p, v·s + j − p];  dx[window] += dy/|window|
class AvgPool(Function):
    needs_inputs = False

    def forward(self, x, kernel, stride, pads, out_hw, divisor):
        acc = None
        xpad = pad_planes(x, pads, 0)
        for _, _, (rows, cols) in offset_slices(kernel, stride, (1, 1), out_hw):
            if acc is None:
                acc = xpad[:, :, rows, cols].copy()
            else:
                acc += xpad[:, :, rows, cols]
        self.shape, self.geom, self.divisor = x.shape, (kernel, stride, pads, out_hw), divisor
        acc /= divisor
        return acc

    def backward(self, g):
        xp = array_module(g)
        kernel, stride, pads, out_hw = self.geom
        N, C, H, W = self.shape
        (pt, pb), (pl, pr) = pads
        share = (g / self.divisor)[:, :, None, None]              # (N, C, 1, 1, oh, ow)
        dx = xp.zeros((N, C, H + pt + pb, W + pl + pr), g.dtype)
        col2im(xp.broadcast_to(share, (N, C, *kernel, *out_hw)), dx, kernel, stride, (1, 1),
               out_hw)
        return dx[:, :, pt:pt + H, pl:pl + W]


def _avg_poolnd(fn, nd, input, kernel_size, stride, padding, ceil_mode,
                count_include_pad, divisor_override):
    x, restore = as_planes(fn, input, nd)
    kernel, stride, _, pads, out_hw, padding = _geometry(fn, x, kernel_size, stride, padding, 1,
                                                         ceil_mode, nd)
    xp = array_module(x._data)
    if divisor_override is not None:
        if not isinstance(divisor_override, int) or divisor_override == 0:
            raise ValueError(f"{fn}: divisor_override must be a non-zero int, got "
                             f"{divisor_override!r}")
        divisor = divisor_override
    else:
        dh, dw = (_divisors(xp, x.shape[2 + a], kernel[a], stride[a], padding[a], out_hw[a],
                            count_include_pad) for a in range(2))
        divisor = (dh[:, None] * dw[None, :]).astype(x.dtype)
    out = AvgPool.apply(x, kernel=kernel, stride=stride, pads=pads, out_hw=out_hw,
                        divisor=divisor)
    return restore(out)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling, PyTorch's `F.avg_pool2d`: the mean of each window of the
    zero-padded input. The divisor counts the padding (count_include_pad) or only the input's
    elements, or is `divisor_override`; windows past the padding (ceil_mode) never count.
    input (N, C, H, W) or (C, H, W). Deck 002 (pooling layer)."""
    return _avg_poolnd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling, PyTorch's `F.avg_pool1d`: input (N, C, L) or (C, L)."""
    return _avg_poolnd("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, None)


# ---------------------------------------------------------------- adaptive pooling
def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: [⌊i·size/out⌋, ⌈(i+1)·size/out⌉) for i < out."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _averaging_matrix(xp, size, out, dtype):
    """P (out, size) with P[i, h] = 1/|window i| on window i: y = P·x averages each window."""
    p = xp.zeros((out, size), dtype)
    for i, (lo, hi) in enumerate(_adaptive_bounds(size, out)):
        p[i, lo:hi] = 1.0 / (hi - lo)
    return p


def _separable(x, ph, pw):
    """ph · x · pwᵀ on every (H, W) plane of x (N, C, H, W), as two plain 2-D GEMMs."""
    xp = array_module(x)
    N, C, H, W = x.shape
    t = x.reshape(-1, W) @ pw.T                                       # (N·C·H, ow)
    oh, ow = ph.shape[0], pw.shape[0]                                 # explicit: N may be 0
    t = xp.ascontiguousarray(t.reshape(N * C, H, ow).swapaxes(1, 2))  # (N·C, ow, H)
    y = t.reshape(-1, H) @ ph.T                                       # (N·C·ow, oh)
    return xp.ascontiguousarray(y.reshape(N, C, ow, oh).swapaxes(2, 3))


# y = P_h · x · P_wᵀ per plane (windows [⌊iH/o⌋, ⌈(i+1)H/o⌉));  dx = P_hᵀ · dy · P_w
class AdaptiveAvgPool(Function):
    needs_inputs = False

    def forward(self, x, out_hw):
        xp = array_module(x)
        self.ph = _averaging_matrix(xp, x.shape[2], out_hw[0], x.dtype)
        self.pw = _averaging_matrix(xp, x.shape[3], out_hw[1], x.dtype)
        return _separable(x, self.ph, self.pw)

    def backward(self, g):
        return _separable(g, self.ph.T, self.pw.T)


# y[n,c,u,v] = max over adaptive window (u, v);  dx[arg max] += dy   (MaxPool's backward)
class AdaptiveMaxPool(MaxPool):
    def forward(self, x, out_hw):
        xp = array_module(x)
        N, C, H, W = x.shape
        out = xp.empty((N, C, *out_hw), x.dtype)
        idx = xp.empty((N, C, *out_hw), int64)
        nan = _has_nan(x)
        for u, (h0, h1) in enumerate(_adaptive_bounds(H, out_hw[0])):
            for v, (w0, w1) in enumerate(_adaptive_bounds(W, out_hw[1])):
                cell = x[:, :, h0:h1, w0:w1].reshape(N, C, (h1 - h0) * (w1 - w0))
                a = cell.argmax(axis=2)
                if nan:                                  # PyTorch's arg max: the last NaN
                    isnan = xp.isnan(cell)
                    last = cell.shape[2] - 1 - isnan[:, :, ::-1].argmax(axis=2)
                    a = xp.where(isnan.any(axis=2), last, a)
                out[:, :, u, v] = xp.take_along_axis(cell, a[..., None], axis=2)[..., 0]
                idx[:, :, u, v] = (h0 + a // (w1 - w0)) * W + w0 + a % (w1 - w0)
        self.indices, self.shape = idx, x.shape
        return out, idx


def _adaptive_size(fn, x, output_size, nd):
    sizes = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != nd or any(s is not None and (not isinstance(s, int) or s < 1) for s in sizes):
        raise ValueError(f"{fn}: output_size must be a positive int or a tuple of {nd} positive "
                         f"ints (or None), got {output_size!r}")
    sizes = (1,) * (2 - nd) + sizes
    return tuple(x.shape[2 + a] if s is None else s for a, s in enumerate(sizes))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size, PyTorch's `F.adaptive_avg_pool2d`: output cell i
    averages rows [⌊iH/oh⌋, ⌈(i+1)H/oh⌉) (likewise columns). output_size 1 is global average
    pooling (Lin et al. 2014, Network in Network)."""
    x, restore = as_planes("adaptive_avg_pool2d", input, 2)
    out_hw = _adaptive_size("adaptive_avg_pool2d", x, output_size, 2)
    return restore(AdaptiveAvgPool.apply(x, out_hw=out_hw))


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling, PyTorch's `F.adaptive_avg_pool1d`: input (N, C, L) or
    (C, L)."""
    x, restore = as_planes("adaptive_avg_pool1d", input, 1)
    out_hw = _adaptive_size("adaptive_avg_pool1d", x, output_size, 1)
    return restore(AdaptiveAvgPool.apply(x, out_hw=out_hw))


def _adaptive_max_poolnd(fn, nd, input, output_size, return_indices):
    x, restore = as_planes(fn, input, nd)
    out, idx = AdaptiveMaxPool.apply(x, out_hw=_adaptive_size(fn, x, output_size, nd))
    return (restore(out), restore(idx)) if return_indices else restore(out)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size over PyTorch's adaptive windows, `F.adaptive_max_pool2d`
    (indices as max_pool2d's)."""
    return _adaptive_max_poolnd("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling, PyTorch's `F.adaptive_max_pool1d`."""
    return _adaptive_max_poolnd("adaptive_max_pool1d", 1, input, output_size, return_indices)
