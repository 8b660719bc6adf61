"""Pooling layers, PyTorch's `nn.MaxPool1d/2d`, `MaxUnpool1d/2d`, `AvgPool1d/2d`,
`AdaptiveAvgPool1d/2d`, `AdaptiveMaxPool1d/2d`: thin modules over `F.*pool*` (ops/pool.py),
with PyTorch's signatures, defaults (stride = kernel_size) and reprs. No parameters."""
from ..ops import pool as P
from ..ops.window import normalize_tuple
from .module import Module


def _check(name, nd, kernel_size, stride, padding, dilation=1):
    normalize_tuple(kernel_size, nd, "kernel_size", name, 1)
    if stride is not None:
        normalize_tuple(stride, nd, "stride", name, 1)
    normalize_tuple(padding, nd, "padding", name, 0)
    normalize_tuple(dilation, nd, "dilation", name, 1)


class _MaxPoolNd(Module):
    _nd, _fn = 2, staticmethod(P.max_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        _check(type(self).__name__, self._nd, kernel_size, stride, padding, dilation)
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                        ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over each kh×kw window (deck 002), `F.max_pool2d`; return_indices=True also gives the
    flat positions MaxUnpool2d needs. (N, C, H, W) or (C, H, W)."""


class MaxPool1d(_MaxPoolNd):
    """Max over each window of length k, `F.max_pool1d`. (N, C, L) or (C, L)."""
    _nd, _fn = 1, staticmethod(P.max_pool1d)


class _MaxUnpoolNd(Module):
    _nd, _fn = 2, staticmethod(P.max_unpool2d)

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        self.kernel_size = normalize_tuple(kernel_size, nd, "kernel_size", name, 1)
        self.stride = normalize_tuple(kernel_size if stride is None else stride, nd, "stride",
                                      name, 1)
        self.padding = normalize_tuple(padding, nd, "padding", name, 0)

    def forward(self, input, indices, output_size=None):
        return self._fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of MaxPool2d (SegNet's decoder, Badrinarayanan et al. 2017): values go
    back to the positions `indices` recorded, zeros elsewhere. See `F.max_unpool2d`."""


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of MaxPool1d, `F.max_unpool1d`."""
    _nd, _fn = 1, staticmethod(P.max_unpool1d)


class AvgPool2d(Module):
    """Mean over each kh×kw window of the zero-padded input (deck 002), `F.avg_pool2d`."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        _check("AvgPool2d", 2, kernel_size, stride, padding)
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return P.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """Mean over each window of length k, `F.avg_pool1d`. (N, C, L) or (C, L)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = normalize_tuple(kernel_size, 1, "kernel_size", "AvgPool1d", 1)
        self.stride = normalize_tuple(kernel_size if stride is None else stride, 1, "stride",
                                      "AvgPool1d", 1)
        self.padding = normalize_tuple(padding, 1, "padding", "AvgPool1d", 0)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return P.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveNd(Module):
    _fn = staticmethod(P.adaptive_avg_pool2d)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveNd):
    """Average pooling to a fixed output size (1 = global average pooling),
    `F.adaptive_avg_pool2d`."""


class AdaptiveAvgPool1d(_AdaptiveNd):
    """Average pooling to a fixed output length, `F.adaptive_avg_pool1d`."""
    _fn = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveMaxPool2d(_AdaptiveNd):
    """Max pooling to a fixed output size, `F.adaptive_max_pool2d`."""
    _fn = staticmethod(P.adaptive_max_pool2d)

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return self._fn(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max pooling to a fixed output length, `F.adaptive_max_pool1d`."""
    _fn = staticmethod(P.adaptive_max_pool1d)
