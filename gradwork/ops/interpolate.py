"""`F.interpolate`: resizing the spatial dims of (N, C, *spatial), 'nearest' and
'linear'/'bilinear'/'trilinear' (one axis at a time: a separable interpolation), with
PyTorch's source-coordinate rules for `align_corners` and `scale_factor`."""
import math

from ..autograd import Function
from ..backend import array_module

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


# y = Σₜ wₜ · a[idxₜ] along one axis;  da = scatter-add of wₜ · dy at idxₜ
class Resample(Function):
    needs_inputs = False

    def forward(self, a, axis, taps):
        xp = array_module(a)
        self.shape, self.axis, self.taps = a.shape, axis, taps
        out = None
        for idx, w in taps:
            part = xp.take(a, idx, axis=axis)
            if w is not None:
                part = part * w.astype(a.dtype).reshape((-1,) + (1,) * (a.ndim - axis - 1))
            out = part if out is None else out + part
        return out

    def backward(self, g):
        xp = array_module(g)
        moved = xp.moveaxis(g, self.axis, 0)
        out = xp.zeros((self.shape[self.axis],) + moved.shape[1:], g.dtype)
        for idx, w in self.taps:
            part = moved if w is None else moved * w.astype(g.dtype).reshape(
                (-1,) + (1,) * (moved.ndim - 1))
            xp.add.at(out, idx, part)
        return xp.moveaxis(out, 0, self.axis)


def _nearest(xp, n_in, n_out, scale):
    # src = floor(dst · scale), scale = in/out or 1/scale_factor (PyTorch's 'nearest')
    src = xp.floor(xp.arange(n_out) * scale).astype("int64")
    return [(xp.minimum(src, n_in - 1), None)]


def _linear(xp, n_in, n_out, scale, align_corners):
    # align_corners: src = dst·(in−1)/(out−1);  else src = (dst + ½)·scale − ½, clamped at 0
    dst = xp.arange(n_out, dtype="float64")
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = xp.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = xp.minimum(xp.floor(src).astype("int64"), n_in - 1)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    return [(i0, 1.0 - lam), (i1, lam)]


def _sizes(shape, size, scale_factor, op):
    spatial = shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        size = (size,) * len(spatial) if isinstance(size, int) else tuple(size)
        if len(size) != len(spatial):
            raise ValueError(f"{op}: size {size} must have {len(spatial)} entries for an input "
                             f"of shape {tuple(shape)}")
        return size, [i / o for i, o in zip(spatial, size)]
    sf = (scale_factor,) * len(spatial) if isinstance(scale_factor, (int, float)) else \
        tuple(scale_factor)
    if len(sf) != len(spatial) or any(f <= 0 for f in sf):
        raise ValueError(f"{op}: scale_factor must be positive, one per spatial dim "
                         f"({len(spatial)}), got {scale_factor!r}")
    return [int(math.floor(i * f)) for i, f in zip(spatial, sf)], [1.0 / f for f in sf]


def interpolate(input, size=None, scale_factor=None, mode="nearest",
                align_corners=None, recompute_scale_factor=None, antialias=False):
    """Resize (N, C, *spatial) to `size` or by `scale_factor`."""
    if input.ndim < 3:
        raise ValueError(f"interpolate: expected (N, C, *spatial) input, got shape "
                         f"{tuple(input.shape)}")
    if mode not in ("nearest",) + tuple(_LINEAR):
        raise ValueError(f"interpolate: mode must be 'nearest', 'linear', 'bilinear' or "
                         f"'trilinear', got {mode!r}")
    if mode != "nearest" and _LINEAR[mode] != input.ndim - 2:
        raise ValueError(f"interpolate: mode {mode!r} expects a {_LINEAR[mode] + 2}-D input, got "
                         f"shape {tuple(input.shape)}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the "
                         "interpolating modes: linear | bilinear | trilinear")
    out_sizes, scales = _sizes(input.shape, size, scale_factor, "interpolate")
    if recompute_scale_factor:
        scales = [i / o for i, o in zip(input.shape[2:], out_sizes)]
    xp, out = array_module(input._data), input
    for k, (n_out, scale) in enumerate(zip(out_sizes, scales)):
        n_in = input.shape[2 + k]
        taps = _nearest(xp, n_in, n_out, scale) if mode == "nearest" else \
            _linear(xp, n_in, n_out, scale, bool(align_corners))
        out = Resample.apply(out, axis=2 + k, taps=taps)
    return out
