"""Binary layers: `BinaryConv2d`, `BinaryLinear` (binary-weight networks, BWN) and `XNORConv2d`,
`XNORLinear` (binary weights and inputs), the XNOR-Net block, and the latent-weight clip
(Rastegari et al. 2016, "XNOR-Net"; Courbariaux et al. 2015, "BinaryConnect"), deck 004.

Each layer has its real twin's arguments and state-dict keys (`weight`: the latent real-valued
weights in PyTorch's layout; `bias`), so a `Conv2d` state dict loads into a `BinaryConv2d`.
The forward pass uses W̃ = α·sign(W) (α per output channel, `F.binarize_weight`); XNOR layers
also binarise their input (sign(0) = +1, STE gradient). BWN layers pass the exact input
gradient.

Latent weights are kept in [−1, 1] (BinaryConnect, §2.4: beyond ±1 the STE cancels their gradient
and they would only drift): with `clip_weights=True` (the default) a layer clamps its own `weight`
in place at the start of every forward, that is after each optimiser step, before the weights are
used again (idempotent, so eval and the packed export see the same weights);
`clip_latent_weights_(model)` does the same explicitly, for a loop that wants it right after
`optimizer.step()`.
"""
from .. import backend
from ..errors import check_choice
from ..ops.binary import binary_conv2d, binary_linear, xnor_conv2d, xnor_linear
from ..ops.pad import pad
from .containers import Sequential
from .conv import Conv2d
from .linear import Linear
from .norm import BatchNorm2d


def clip_latent_weights_(module, bound=1.0):
    """Clamp the latent weights of every binary layer in `module` to [−bound, bound], in place;
    returns how many layers were clipped. Call after `optimizer.step()` (BinaryConnect, Alg. 1:
    "clip(W, −1, 1)"); layers built with clip_weights=True also do it themselves."""
    count = 0
    for m in module.modules():
        if isinstance(m, _BINARY_LAYERS):
            w = m.weight._data
            backend.array_module(w).clip(w, -bound, bound, out=w)
            m.weight._bump_version()
            count += 1
    return count


class _BinaryOptions:
    """The options the four layers share: alpha_grad, clip_weights (and scale_input)."""

    def _set_options(self, alpha_grad, clip_weights, scale_input=False):
        name = type(self).__name__
        self.alpha_grad = check_choice(name, "alpha_grad", alpha_grad, ("constant", "chain"))
        self.clip_weights, self.scale_input = bool(clip_weights), bool(scale_input)

    def _clip(self):
        if self.clip_weights:
            w = self.weight._data
            backend.array_module(w).clip(w, -1.0, 1.0, out=w)
            self.weight._bump_version()

    def stored_bytes(self):
        """Bytes of this layer in 1-bit storage (`nn.binary_packed`): ⌈n/64⌉ words per output
        channel for its n weights, a float32 α per channel, the bias."""
        K, n = self.weight.shape[0], self.weight[0].numel()
        bias = 0 if self.bias is None else 4 * self.bias.numel()
        return K * 8 * (-(-n // 64)) + 4 * K + bias

    def _binary_repr(self):
        s = f", alpha_grad={self.alpha_grad}" if self.alpha_grad != "constant" else ""
        return s + (", scale_input=True" if self.scale_input else "")


class BinaryConv2d(_BinaryOptions, Conv2d):
    """Binary-weight convolution (BWN, XNOR-Net §3.1): y = x ⊛ (α ⊙ sign W) + b, x real.

    Arguments as `Conv2d`, plus alpha_grad ("constant" or "chain", see `F.binarize_weight`) and
    clip_weights (clamp the latent W to [−1, 1] in place before each forward)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=None, alpha_grad="constant",
                 clip_weights=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype)
        self._set_options(alpha_grad, clip_weights)

    def _padded(self, input):
        if self.padding_mode != "zeros":
            return pad(input, self._explicit_padding(), mode=self.padding_mode), 0
        return input, self.padding

    def forward(self, input):
        self._clip()
        x, padding = self._padded(input)
        return binary_conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                             self.groups, self.alpha_grad)

    def extra_repr(self):
        return super().extra_repr() + self._binary_repr()


class XNORConv2d(BinaryConv2d):
    """XNOR convolution (XNOR-Net §3.2): y = (sign x ⊛ sign W) ⊙ α [⊙ K] + b.

    Arguments as `BinaryConv2d`, plus scale_input (multiply by the paper's scaling map K =
    (mean_c |x|) ⊛ k; default False: common reimplementations drop K and let the BatchNorm
    before the layer set the scale). Inputs use the STE; a zero-padded position contributes 0.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=None, alpha_grad="constant",
                 clip_weights=True, scale_input=False):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype, alpha_grad, clip_weights)
        self.scale_input = bool(scale_input)

    def forward(self, input):
        self._clip()
        x, padding = self._padded(input)
        return xnor_conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                           self.groups, self.scale_input, self.alpha_grad)


class BinaryLinear(_BinaryOptions, Linear):
    """Binary-weight dense layer: y = x (α ⊙ sign W)ᵀ + b, α per output feature. Arguments as
    `Linear`, plus alpha_grad and clip_weights (see `BinaryConv2d`)."""

    def __init__(self, in_features, out_features, bias=True, dtype=None, alpha_grad="constant",
                 clip_weights=True):
        super().__init__(in_features, out_features, bias, dtype)
        self._set_options(alpha_grad, clip_weights)

    def forward(self, x):
        self._clip()
        return binary_linear(x, self.weight, self.bias, self.alpha_grad)

    def extra_repr(self):
        return super().extra_repr() + self._binary_repr()


class XNORLinear(BinaryLinear):
    """XNOR dense layer: y = (sign x · sign Wᵀ) ⊙ α [⊙ β] + b, β = mean |x| per sample with
    scale_input=True. Arguments as `BinaryLinear`, plus scale_input (default False)."""

    def __init__(self, in_features, out_features, bias=True, dtype=None, alpha_grad="constant",
                 clip_weights=True, scale_input=False):
        super().__init__(in_features, out_features, bias, dtype, alpha_grad, clip_weights)
        self.scale_input = bool(scale_input)

    def forward(self, x):
        self._clip()
        return xnor_linear(x, self.weight, self.bias, self.scale_input, self.alpha_grad)


_BINARY_LAYERS = (BinaryConv2d, BinaryLinear)


class XNORBlock(Sequential):
    """XNOR-Net's building block (Fig. 3): BatchNorm → BinActiv → BinConv → Pool.

    `bn` (BatchNorm2d(in_channels)), `conv` (XNORConv2d; it holds BinActiv, the sign of its
    input, since the scaling map K needs the real input) and, if given, `pool` (a module,
    e.g. MaxPool2d(2)). The normalisation before the sign centres the input so that about
    half its values binarise to −1 (§3.2, "placing the batch normalization before
    binarization")."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, pool=None,
                 bias=False, scale_input=False, alpha_grad="constant"):
        layers = [("bn", BatchNorm2d(in_channels)),
                  ("conv", XNORConv2d(in_channels, out_channels, kernel_size, stride, padding,
                                      bias=bias, scale_input=scale_input,
                                      alpha_grad=alpha_grad))]
        if pool is not None:
            layers.append(("pool", pool))
        super().__init__(dict(layers))
