"""Sliding windows over (N, C, H, W) planes: the one geometry that convolution and pooling share.

Output position (y, x) of a window op with kernel (kh, kw), stride s, padding p and dilation d
reads the padded input at (y·s_h + i·d_h, x·s_w + j·d_w) for the kernel offsets (i, j); the
output size along each axis is ⌊(n + p_lo + p_hi − d(k−1) − 1)/s⌋ + 1, the deck's
(W − F + 2P)/S + 1 (deck 002). Every op above works on 2-D planes; the 1-D forms are planes
of height 1. Three ways of visiting the windows, all here:

    windows      a strided view (N, C, kh, kw, oh, ow), no copy
    im2col       that view gathered into contiguous columns (N, C·kh·kw, oh·ow) for a GEMM
    col2im       the adjoint of im2col: adds (N, C, kh, kw, oh, ow) back into the padded planes,
                 one strided slice-add per kernel offset (kh·kw adds, never one per pixel)

With stride 1, im2col can gather "over-width" columns: column y·Wp + x holds window (y, x) of
the padded plane of width Wp, so the windows of one kernel offset (i, j) are a single run of the
flattened plane, starting at i·d_h·Wp + j·d_w. The columns x ∈ [ow, Wp) are garbage (they wrap
into the next row) that the caller drops; a copy of long runs is far faster than one whose runs
are ow elements long. These columns are batch-major, (C·kh·kw, N, oh·Wp), so that the GEMM
of a whole block of samples is one call.
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


def as_planes(fn, input, nd):
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
    """Read-only view (N, C, kh, kw, oh, ow):
    [n, c, i, j, y, x] = xpad[n, c, y·s_h + i·d_h, x·s_w + j·d_w]."""
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


def im2col(xpad, kernel, stride, dilation, out_hw, width=None, out=None, hpad=(0, 0)):
    """Gather every window of xpad (B, C, Hp, Wp) into columns: packed per sample
    (B, C·kh·kw, oh·ow), or, given width (stride 1; the row pitch of xpad), over-width and
    batch-major (C·kh·kw, B, oh·width) (see above).

    The pitch may be less than Wp: the rows then overlap and the horizontal padding hpad =
    (left, right) is virtual (the columns that read it are zeroed here). Garbage columns are
    finite (input values, or zero past the plane's end)."""
    xp = array_module(xpad)
    B, C, _, Wp = xpad.shape
    (kh, kw), (oh, ow), (dh, dw) = kernel, out_hw, dilation
    if width is None:
        if out is None:
            out = xp.empty((B, C * kh * kw, oh * ow), xpad.dtype)
        xp.copyto(out.reshape(B, C, kh, kw, oh, ow),
                  windows(xpad, kernel, stride, dilation, out_hw))
        return out
    if out is None:
        out = xp.empty((C * kh * kw, B, oh * width), xpad.dtype)
    dst = out.reshape(C, kh, kw, B, oh * width)
    sn, sc, sh, sw = xpad.strides
    if tuple(stride) != (1, 1) or sh != width * sw or sw != xpad.itemsize:
        raise ValueError(f"im2col: over-width columns need stride 1 and contiguous rows of pitch "
                         f"{width}, got stride {tuple(stride)} and strides {xpad.strides}")
    run = (oh - 1) * width + ow             # ends at the last element the windows read
    runs = xp.lib.stride_tricks.as_strided(  # (C, kh, kw, B, run): one run per kernel offset
        xpad, (C, kh, kw, B, run), (sc, sh * dh, sw * dw, sn, sw), writeable=False)
    xp.copyto(dst[..., :run], runs)
    dst[..., run:] = 0
    zero_virtual_padding(dst.reshape(C, kh, kw, B, oh, width), hpad, Wp, dw, ow)
    return out


def zero_virtual_padding(cols, hpad, Wp, dw, ow):
    """Zero the columns of over-width cols (C, kh, kw, B, oh, pitch) whose window reads the
    virtual horizontal padding hpad = (left, right) of planes of padded width Wp."""
    pl, pr = hpad
    if not (pl or pr):
        return
    for j in range(cols.shape[2]):
        lo, hi = pl - j * dw, Wp - pr - j * dw  # window column x reads the input iff lo ≤ x < hi
        if lo > 0:
            cols[:, :, j, :, :, :lo] = 0
        if hi < ow:                                 # hi < 0: no column reads the input
            cols[:, :, j, :, :, max(hi, 0):ow] = 0


def col2im(cols, xpad, kernel, stride, dilation, out_hw, hpad=(0, 0)):
    """Adjoint of im2col: add cols (N, C, kh, kw, oh, ow) into the padded planes xpad, in place.

    Over-width cols (N, C, kh, kw, oh, pitch) (stride 1, xpad's row pitch; see im2col) must be
    zero in the garbage columns x ≥ ow; the columns that read virtual padding are zeroed here.
    Each kernel offset is then one add of a long run of the flat plane."""
    xp = array_module(xpad)
    (kh, kw), (oh, ow) = kernel, out_hw
    N, C, _, Wp = xpad.shape
    pitch = cols.shape[5]
    if pitch == ow and not any(hpad):
        for i, j, (rows, colsl) in offset_slices(kernel, stride, dilation, out_hw):
            xpad[:, :, rows, colsl] += cols[:, :, i, j]
        return xpad
    zero_virtual_padding(cols.transpose(1, 2, 3, 0, 4, 5), hpad, Wp, dilation[1], ow)
    run = (oh - 1) * pitch + ow
    sn, sc, _, sw = xpad.strides
    for i in range(kh):
        for j in range(kw):
            runs = xp.lib.stride_tricks.as_strided(              # (N, C, run), writeable
                xpad[:, :, i * dilation[0], j * dilation[1]:], (N, C, run), (sn, sc, sw))
            runs += cols[:, :, i, j].reshape(N, C, oh * pitch)[..., :run]
    return xpad
