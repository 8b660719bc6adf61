"""Sliding windows over (N, C, H, W) planes: the one geometry that convolution and pooling share.

Output position (y, x) of a window op with kernel (kh, kw), stride s, padding p and dilation d
reads the padded input at (y·s_h + i·d_h, x·s_w + j·d_w) for the kernel offsets (i, j); the
output size along each axis is ⌊(n + p_lo + p_hi − d(k−1) − 1)/s⌋ + 1, the deck's
(W − F + 2P)/S + 1 (deck 002). Every op above works on 2-D planes; the 1-D forms are planes
of height 1. Three ways of visiting the windows, all here:

    windows      a strided view (N, C, kh, kw, oh, ow), no copy
    im2col       that view gathered into a contiguous (N, C·kh·kw, oh·ow) buffer (for a GEMM)
    col2im       the adjoint of im2col: adds (N, C, kh, kw, oh, ow) back into the padded planes,
                 one strided slice-add per kernel offset (kh·kw adds, never one per pixel)
"""
from ..backend import array_module
from .shape import reshape


def normalize_tuple(value, n, name, fn, minimum=0):
    """An int or a length-n sequence of ints, each ≥ minimum, as an n-tuple; else a clear error."""
    items = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) != n
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in items)):
        raise TypeError(f"{fn}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in items):
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{fn}: {name} must be {kind}, got {value!r}")
    return items


def window_params(nd, fn, **params):
    """Each window parameter, given as name=(value, minimum), as a 2-tuple; a 1-D op's height
    axis gets the neutral value (stride 1, dilation 1, no padding)."""
    neutral = {"stride": 1, "dilation": 1, "padding": 0, "output_padding": 0}
    out = []
    for name, (value, minimum) in params.items():
        t = normalize_tuple(value, nd, name, fn, minimum)
        out.append(t if nd == 2 else (neutral.get(name, 1),) + t)
    return out


def as_planes(fn, input, nd):  # noqa: A002 - PyTorch's name
    """View an input of nd spatial dims, batched or not, as (N, C, H, W) (a 1-D signal is a plane
    of height 1). Returns the 4-D tensor and `restore`, which maps a 4-D result (or indices)
    back to the input's layout."""
    spatial = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if input.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{fn}: input must be {nd + 2}-D {spatial} or {nd + 1}-D (unbatched), "
                         f"got shape {tuple(input.shape)}")
    unbatched = input.ndim == nd + 1
    x = reshape(input, (1,) + input.shape) if unbatched else input
    if nd == 1:
        x = reshape(x, x.shape[:2] + (1,) + x.shape[2:])

    def restore(out):
        if nd == 1:
            out = reshape(out, out.shape[:2] + out.shape[3:])
        return reshape(out, out.shape[1:]) if unbatched else out
    return x, restore


def out_size(size, kernel, stride, pad_lo, pad_hi, dilation=1, ceil_mode=False):
    """Number of windows along one axis; PyTorch's ceil_mode rule: the last window must start
    inside the input or the left padding."""
    span = size + pad_lo + pad_hi - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad_lo:
        out -= 1
    return out


def pad_planes(x, pads, value=0.0, out=None):
    """x (N, C, H, W) surrounded by `value`: pads = ((top, bottom), (left, right)) → (N, C, H', W').

    With `out` given, only the interior is written: its border must already hold `value`."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    N, C, H, W = x.shape
    if out is None:
        out = array_module(x).full((N, C, H + pt + pb, W + pl + pr), value, x.dtype)
    out[:, :, pt:pt + H, pl:pl + W] = x
    return out


def windows(xpad, kernel, stride, dilation, out_hw):
    """Read-only view (N, C, kh, kw, oh, ow): [n, c, i, j, y, x] = xpad[n, c, y·s_h + i·d_h, x·s_w + j·d_w]."""
    xp = array_module(xpad)
    sn, sc, sh, sw = xpad.strides
    shape = xpad.shape[:2] + tuple(kernel) + tuple(out_hw)
    strides = (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides, writeable=False)


def offset_slices(kernel, stride, dilation, out_hw):
    """For each kernel offset (i, j): the (rows, cols) slices of the padded plane it touches."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                         slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))


def im2col(xpad, kernel, stride, dilation, out_hw, out=None):
    """Gather every window of xpad (N, C, Hp, Wp) into columns (N, C·kh·kw, oh·ow), C-major."""
    xp = array_module(xpad)
    N, C = xpad.shape[:2]
    (kh, kw), (oh, ow) = kernel, out_hw
    if out is None:
        out = xp.empty((N, C * kh * kw, oh * ow), xpad.dtype)
    xp.copyto(out.reshape(N, C, kh, kw, oh, ow), windows(xpad, kernel, stride, dilation, out_hw))
    return out


def col2im(cols, xpad, kernel, stride, dilation, out_hw):
    """Adjoint of im2col: add cols (N, C, kh, kw, oh, ow) into the padded planes xpad, in place."""
    for i, j, (rows, colsl) in offset_slices(kernel, stride, dilation, out_hw):
        xpad[:, :, rows, colsl] += cols[:, :, i, j]
    return xpad
