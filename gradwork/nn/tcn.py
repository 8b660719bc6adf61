"""Temporal convolutional networks (Bai, Kolter & Koltun 2018; deck 004, "CNN vs RNN").

A TCN maps a sequence (N, C_in, T) to (N, C_out, T) causally: the output at t sees only the
inputs at t and before. Each residual block holds two dilated causal convolutions,

    y = ReLU(x' + Dropout(ReLU(WN-Conv_d(Dropout(ReLU(WN-Conv_d(x)))))))    (Bai et al. 2018, §3.3)

where WN is weight normalisation, x' = x or a 1×1 convolution of x when the widths differ, and
causality comes from padding (k − 1)·d on both sides and chomping the last (k − 1)·d outputs.
Block i has dilation 2^i, so L blocks of kernel k see 1 + 2(k − 1)(2^L − 1) steps.
Attribute names follow the reference implementation (locuslab/TCN: conv1, chomp1, relu1,
dropout1, …, net, downsample, relu; TemporalConvNet.network), so the state dict keys are its
keys (conv1 and conv2 appear again as net.0 and net.4) and its weights load unchanged.
"""
from ..errors import check_nonnegative_int, check_positive_int
from . import init
from .activation import ReLU
from .containers import Sequential
from .conv import Conv1d
from .dropout import Dropout
from .module import Module
from .utils.weight_norm import weight_norm


class Chomp1d(Module):
    """Drop the last `chomp_size` steps: (N, C, T + p) → (N, C, T) (undoes the right padding)."""

    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, :x.shape[2] - self.chomp_size]

    def extra_repr(self):
        return f"chomp_size={self.chomp_size}"


def _weight_normed_conv(n_in, n_out, kernel_size, stride, padding, dilation):
    """Conv1d with w ~ N(0, 0.01), then weight-normalised (v = w, g = ‖w‖)."""
    conv = Conv1d(n_in, n_out, kernel_size, stride=stride, padding=padding, dilation=dilation)
    init.normal_(conv.weight, 0.0, 0.01)
    return weight_norm(conv)


class TemporalBlock(Module):
    """The TCN residual block (see the module docstring); x: (N, n_inputs, T) → (N, n_outputs, T).

    For a causal block, padding = (kernel_size − 1)·dilation and stride = 1. Convolution
    weights start as N(0, 0.01), i.e. v ~ N(0, 0.01) and g = ‖v‖: the reference's intent (its
    init_weights writes N(0, 0.01) into the recomputed weight-norm tensor, which PyTorch then
    overwrites, so there only the 1×1 downsample gets it)."""

    def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding, dropout=0.2):
        super().__init__()
        for name, value in (("n_inputs", n_inputs), ("n_outputs", n_outputs), ("stride", stride),
                            ("kernel_size", kernel_size), ("dilation", dilation)):
            check_positive_int("TemporalBlock", name, value)
        check_nonnegative_int("TemporalBlock", "padding", padding)
        conv_args = (kernel_size, stride, padding, dilation)
        self.conv1 = _weight_normed_conv(n_inputs, n_outputs, *conv_args)
        self.chomp1 = Chomp1d(padding)
        self.relu1 = ReLU()
        self.dropout1 = Dropout(dropout)
        self.conv2 = _weight_normed_conv(n_outputs, n_outputs, *conv_args)
        self.chomp2 = Chomp1d(padding)
        self.relu2 = ReLU()
        self.dropout2 = Dropout(dropout)
        self.net = Sequential(self.conv1, self.chomp1, self.relu1, self.dropout1,
                              self.conv2, self.chomp2, self.relu2, self.dropout2)
        self.downsample = None
        if n_inputs != n_outputs:
            self.downsample = Conv1d(n_inputs, n_outputs, 1)
            init.normal_(self.downsample.weight, 0.0, 0.01)
        self.relu = ReLU()

    def forward(self, x):
        out = self.net(x)
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TCN(Module):
    """A stack of causal TemporalBlocks with dilations 1, 2, 4, …; (N, num_inputs, T) →
    (N, num_channels[-1], T). Block i maps num_channels[i−1] → num_channels[i] channels.
    The reference implementation calls this class TemporalConvNet."""

    def __init__(self, num_inputs, num_channels, kernel_size=2, dropout=0.2):
        super().__init__()
        check_positive_int("TCN", "num_inputs", num_inputs)
        check_positive_int("TCN", "kernel_size", kernel_size)
        num_channels = list(num_channels)
        if not num_channels:
            raise ValueError("TCN: num_channels must list at least one block width, got []")
        self.kernel_size = kernel_size
        layers = []
        for i, out_channels in enumerate(num_channels):
            d = 2 ** i
            in_channels = num_inputs if i == 0 else num_channels[i - 1]
            layers.append(TemporalBlock(in_channels, out_channels, kernel_size, stride=1,
                                        dilation=d, padding=(kernel_size - 1) * d, dropout=dropout))
        self.network = Sequential(*layers)

    @property
    def receptive_field(self):
        """Steps of input each output sees: 1 + 2(k − 1)(2^L − 1) (two convs per block)."""
        return 1 + 2 * (self.kernel_size - 1) * (2 ** len(self.network) - 1)

    def forward(self, x):
        if x.ndim != 3:
            raise ValueError(f"TCN: input must have shape (N, C, T), got {tuple(x.shape)}")
        return self.network(x)

