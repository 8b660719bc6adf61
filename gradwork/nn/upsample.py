"""Resampling layers: `Upsample`, `PixelShuffle`, `PixelUnshuffle`."""
from ..errors import ArgumentError, ShapeError
from .linear import check_positive_int
from .module import Module


def _pair_factors(scale_factor, n):
    f = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * n
    if len(f) != n:
        raise ArgumentError(f"Upsample: scale_factor must have {n} entries for a {n}-d input, "
                            f"got {scale_factor!r}")
    return tuple(f)


class Upsample(Module):
    """Resize the spatial dims of an (N, C, *spatial) input by `scale_factor` or to `size`.

    mode="nearest" with integer scale factors is an exact repeat of each pixel, built from
    reshape and expand (whose adjoints sum each block back), so it needs no op of its own:
    y[..., i, j] = x[..., ⌊i/s⌋, ⌊j/s⌋]. Other modes and sizes go to F.interpolate."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ArgumentError("Upsample: give exactly one of size and scale_factor, got "
                                f"size={size!r}, scale_factor={scale_factor!r}")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def _integer_factors(self, x):
        n = x.ndim - 2
        if self.scale_factor is not None:
            f = _pair_factors(self.scale_factor, n)
        else:
            size = self.size if isinstance(self.size, (tuple, list)) else (self.size,) * n
            if any(s % d for s, d in zip(size, x.shape[2:])):
                return None
            f = tuple(s // d for s, d in zip(size, x.shape[2:]))
        if all(float(v).is_integer() and v >= 1 for v in f):
            return tuple(int(v) for v in f)
        return None

    def forward(self, x):
        if x.ndim < 3:
            raise ShapeError(f"Upsample: expected input of shape (N, C, *spatial), got "
                             f"{tuple(x.shape)}")
        factors = self._integer_factors(x) if self.mode == "nearest" else None
        if factors is None:
            from . import functional as F
            return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)
        n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
        split = (n, c) + tuple(v for d in spatial for v in (d, 1))     # (N, C, H, 1, W, 1)
        big = (n, c) + tuple(v for d, f in zip(spatial, factors) for v in (d, f))
        out = (n, c) + tuple(d * f for d, f in zip(spatial, factors))  # (N, C, H·s, W·s)
        return x.reshape(split).expand(big).reshape(out)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class PixelShuffle(Module):
    """(N, C·r², H, W) → (N, C, H·r, W·r): y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]
    (Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution"). A reshape and a
    permute, so the gradient is the inverse rearrangement."""

    def __init__(self, upscale_factor):
        super().__init__()
        check_positive_int("PixelShuffle", "upscale_factor", upscale_factor)
        self.upscale_factor = upscale_factor

    def forward(self, x):
        r = self.upscale_factor
        if x.ndim < 3 or x.shape[-3] % (r * r):
            raise ShapeError(f"PixelShuffle: expected input (*, C·{r * r}, H, W) with channels "
                             f"divisible by upscale_factor² = {r * r}, got {tuple(x.shape)}")
        *lead, c, h, w = x.shape
        oc = c // (r * r)
        y = x.reshape((-1, oc, r, r, h, w))                 # (B, C, r, r, H, W)
        y = y.permute(0, 1, 4, 2, 5, 3)                     # (B, C, H, r, W, r)
        return y.reshape(tuple(lead) + (oc, h * r, w * r))

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of PixelShuffle: (N, C, H·r, W·r) → (N, C·r², H, W)."""

    def __init__(self, downscale_factor):
        super().__init__()
        check_positive_int("PixelUnshuffle", "downscale_factor", downscale_factor)
        self.downscale_factor = downscale_factor

    def forward(self, x):
        r = self.downscale_factor
        if x.ndim < 3 or x.shape[-2] % r or x.shape[-1] % r:
            raise ShapeError(f"PixelUnshuffle: expected input (*, C, H, W) with H and W "
                             f"divisible by downscale_factor = {r}, got {tuple(x.shape)}")
        *lead, c, h, w = x.shape
        y = x.reshape((-1, c, h // r, r, w // r, r))        # (B, C, H, r, W, r)
        y = y.permute(0, 1, 3, 5, 2, 4)                     # (B, C, r, r, H, W)
        return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
