"""Convolution layers: `Conv1d`, `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d`, `CausalConv1d`.

Thin modules over `F.conv*d` / `F.conv_transpose*d` with PyTorch's signatures, parameter
names and layouts: Conv weight (out, in/groups, *k), ConvTranspose weight (in, out/groups, *k),
bias (out,). Default initialisation is PyTorch's (`init.default_layer_init_`: U(±1/√fan_in)
with fan_in = weight.shape[1]·∏k, which for ConvTranspose is (out/groups)·∏k, as in PyTorch).
"""
from .. import backend
from ..errors import check_positive_int
from ..ops.conv import causal_conv1d, conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.pad import pad
from ..ops.window import normalize_tuple
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared constructor: checks, hyperparameters, weight and bias, initialisation."""

    _nd, _transposed = 2, False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", output_padding=0, dtype=None):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels),
                           ("groups", groups)):
            check_positive_int(name, arg, value)
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{name}: {arg}={value} must be divisible by groups={groups}")
        if padding_mode not in (("zeros",) if self._transposed else _PADDING_MODES):
            raise ValueError(f"{name}: padding_mode must be one of "
                             f"{('zeros',) if self._transposed else _PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = normalize_tuple(kernel_size, nd, "kernel_size", name, 1)
        self.stride = normalize_tuple(stride, nd, "stride", name, 1)
        self.dilation = normalize_tuple(dilation, nd, "dilation", name, 1)
        self.output_padding = normalize_tuple(output_padding, nd, "output_padding", name, 0)
        if isinstance(padding, str) and not self._transposed:
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'valid' or 'same', "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1,) * nd:
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = normalize_tuple(padding, nd, "padding", name, 0)
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        self.weight = Parameter(backend.np.empty(shape, dtype))
        if bias:
            self.bias = Parameter(backend.np.empty((out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_layer_init_(self.weight, self.bias)

    def _explicit_padding(self):
        """F.pad's list (last dim first) for a non-zeros padding_mode; 'same' may be uneven."""
        if self.padding == "valid":
            return [0, 0] * self._nd
        out = []
        for i in reversed(range(self._nd)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                out += [total // 2, total - total // 2]
            else:
                out += [self.padding[i]] * 2
        return out

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif any(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if any(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _conv = staticmethod(conv2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)

    def forward(self, input):
        if self.padding_mode != "zeros":
            input = pad(input, self._explicit_padding(), mode=self.padding_mode)
            padding = 0
        else:
            padding = self.padding
        return self._conv(input, self.weight, self.bias, self.stride, padding, self.dilation,
                          self.groups)


class Conv2d(_Conv):
    """2-D convolution layer, PyTorch's `nn.Conv2d`: y = W ⋆ x + b (see `F.conv2d`).

    x (N, C_in, H, W) or (C_in, H, W) → (N, C_out, H', W'), H' = (H + 2p − d(k − 1) − 1)/s + 1;
    weight (C_out, C_in/groups, kh, kw), bias (C_out,). Deck 002's example, 10 filters of
    5×5×3 with stride 1 and pad 2 on 32×32×3, is Conv2d(3, 10, 5, padding=2): 32×32×10 out,
    760 parameters. LeCun et al. 1998.
    """


class Conv1d(_Conv):
    """1-D convolution layer, PyTorch's `nn.Conv1d`: x (N, C_in, L) → (N, C_out, L'); weight
    (C_out, C_in/groups, k). For a causal (TCN) convolution use `CausalConv1d`."""

    _nd = 1
    _conv = staticmethod(conv1d)


class CausalConv1d(Conv1d):
    """Causal 1-D convolution for temporal convolutional networks (Bai, Kolter & Koltun 2018):
    y[t] = b + Σ_i W[:, :, i] · x[t − d(k − 1 − i)], the input left-padded by d(k − 1) so the
    output has the input's length and never sees the future. Stride 1; parameters as Conv1d's
    (a PyTorch Conv1d state dict loads unchanged). Not in PyTorch; see `F.causal_conv1d`."""

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1, groups=1, bias=True,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, 1, 0, dilation, groups, bias,
                         dtype=dtype)

    def forward(self, input):
        return causal_conv1d(input, self.weight, self.bias, self.dilation, self.groups)

    def extra_repr(self):
        return super().extra_repr() + ", causal=True"


class _ConvTranspose(_ConvNd):
    _transposed = True
    _conv = staticmethod(conv_transpose2d)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype)
        for i in range(self._nd):
            if self.output_padding[i] >= max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{type(self).__name__}: output_padding must be smaller than "
                                 f"either stride or dilation, got output_padding="
                                 f"{self.output_padding}, stride={self.stride}, dilation="
                                 f"{self.dilation}")

    def _output_padding(self, input, output_size):
        """output_padding that makes the output `output_size` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        sizes = [int(s) for s in output_size][-nd:]
        out = []
        for i, size in enumerate(sizes):
            low = ((input.shape[input.ndim - nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                   + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            if not low <= size < low + self.stride[i]:
                raise ValueError(f"{type(self).__name__}: output_size {tuple(sizes)} is not "
                                 f"reachable: size {i} must be in [{low}, "
                                 f"{low + self.stride[i] - 1}]")
            out.append(size - low)
        return tuple(out)

    def forward(self, input, output_size=None):
        return self._conv(input, self.weight, self.bias, self.stride, self.padding,
                          self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution layer, PyTorch's `nn.ConvTranspose2d`: the adjoint of Conv2d
    in its input (see `F.conv_transpose2d`). x (N, C_in, H, W) → (N, C_out, H', W'),
    H' = (H − 1)s − 2p + d(k − 1) + output_padding + 1; weight (C_in, C_out/groups, kh, kw).
    `forward(x, output_size)` picks output_padding to reach output_size. Zeiler et al. 2010."""


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution layer, PyTorch's `nn.ConvTranspose1d`: x (N, C_in, L);
    weight (C_in, C_out/groups, k)."""

    _nd = 1
    _conv = staticmethod(conv_transpose1d)
