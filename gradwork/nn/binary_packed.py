"""1-bit storage and inference for trained binary networks (Rastegari et al. 2016, §3: "~32×
smaller"): `PackedBinaryConv2d`, `PackedBinaryLinear`, `pack_model`, `export_packed`,
`load_packed`.

A packed layer holds sign(W) as bits (1 = negative, little-endian in uint64 words,
`weight_bits`: conv (K, ⌈kh·kw·C/G/64⌉), filter k's weights in (i, j, c) order, dense
(out, ⌈in/64⌉)), α per output channel (float32, `alpha`) and the real `bias`: 1 bit per weight
plus 32 per channel (and < 64 bits of rounding per filter). The kernel's layout (a word run
per tap) is built from it when the layer first runs. XNOR layers run
the XNOR + popcount kernel (`kernels/xnor.py`); BWN layers (real inputs) unpack ±α once and
run the float convolution. Inference only (no gradient).

    packed = pack_model(model)              # the same network, binary layers packed
    export_packed(model, "net.safetensors") # bits + α + every real-valued tensor
    net = load_packed(get_model("xnor_lenet5"), "net.safetensors")
"""
import copy
import json

from .. import backend
from ..autograd import Tensor, no_grad
from ..errors import ArgumentError, CheckpointError, ShapeError
from ..ops.binary import input_scale
from ..ops.conv import conv2d
from ..ops.matmul import linear
from ..serialization import load, load_metadata, save
from .binary import BinaryConv2d, BinaryLinear, XNORConv2d, XNORLinear
from .module import Module

np = backend.np


def _xnor():
    from ..kernels import xnor
    return xnor


def binary_signs(weight):
    """sign(W) (±1, sign(0) = +1) and α = mean |W| per output channel (dim 0), as float32:
    what a binary layer's forward uses. `weight` must be binary already if it is to be stored
    as given: use `check_binary` for that."""
    w = np.asarray(weight, np.float64)
    alpha = np.abs(w).reshape(w.shape[0], -1).mean(axis=1)
    return np.where(w >= 0, 1.0, -1.0).astype(np.float32), alpha.astype(np.float32)


def check_binary(where, weight):
    """Raise unless every output channel of `weight` holds only ±α_k (one magnitude)."""
    w = np.abs(np.asarray(weight, np.float64)).reshape(weight.shape[0], -1)
    spread = w.max(axis=1) - w.min(axis=1)
    bad = np.flatnonzero(spread > 1e-6 * np.maximum(w.max(axis=1), 1e-30))
    if bad.size:
        k = int(bad[0])
        raise ArgumentError(f"{where}: weight of shape {tuple(weight.shape)} must be binary "
                            f"(±α per output channel) for the packed path; output channel {k} "
                            f"has magnitudes from {w[k].min():.4g} to {w[k].max():.4g}")


class _Packed(Module):
    """Buffers `weight_bits` (uint64), `alpha` (float32), optional `bias`; mode "xnor" or
    "bwn"; the geometry. Builds the kernel's layout and per-size corrections on first use."""

    def _init_packed(self, bits, alpha, bias, mode, scale_input):
        self.mode, self.scale_input = mode, bool(scale_input)
        self.register_buffer("weight_bits", Tensor(bits))
        self.register_buffer("alpha", Tensor(alpha.astype(np.float32)))
        self.register_buffer("bias", None if bias is None
                             else Tensor(np.asarray(bias, np.float32)))
        self._cache = {}

    def stored_bytes(self):
        """Bytes this layer stores: the bit words, α and the bias."""
        return sum(t._data.nbytes for t in (self.weight_bits, self.alpha, self.bias)
                   if t is not None)

    def _check_words(self, where, expected):
        got = tuple(self.weight_bits.shape)
        if got != expected:
            raise ShapeError(f"{where}: weight_bits has shape {got} ({got[-1] if got else 0} "
                             f"words per filter), expected {expected} for {self.extra_repr()}")

    def _bias(self):
        return None if self.bias is None else self.bias._data


class PackedBinaryConv2d(_Packed):
    """A `BinaryConv2d` / `XNORConv2d` stored with 1 bit per weight, for inference.

    XNOR: y = α ⊙ (sign x ⊛ sign W) [⊙ K] + b through the XNOR + popcount kernel (bit-exact
    against the float convolution of the ±1 operands); BWN: y = x ⊛ (α ⊙ sign W) + b."""

    def __init__(self, bits, alpha, bias, in_channels, kernel_size, stride, padding, dilation,
                 groups, mode="xnor", scale_input=False):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, alpha.shape[0]
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.padding, self.groups = padding, groups
        self._init_packed(bits, alpha, bias, mode, scale_input)
        n = kernel_size[0] * kernel_size[1] * (in_channels // groups)
        self._check_words("PackedBinaryConv2d", (self.out_channels, _xnor().words(n)))

    @classmethod
    def from_module(cls, m):
        """Pack a trained `BinaryConv2d` or `XNORConv2d` (its latent weights clipped as its
        forward would, then binarised)."""
        if not isinstance(m, BinaryConv2d):
            raise ArgumentError(f"PackedBinaryConv2d.from_module: module must be a "
                                f"BinaryConv2d or XNORConv2d, got {type(m).__name__}: "
                                f"a real-valued layer has no 1-bit form")
        if m.padding_mode != "zeros" or isinstance(m.padding, str):
            raise ArgumentError(f"PackedBinaryConv2d.from_module: padding must be numeric "
                                f"with padding_mode='zeros', got padding={m.padding!r}, "
                                f"padding_mode={m.padding_mode!r}")
        w = np.clip(m.weight._data, -1, 1) if m.clip_weights else m.weight._data
        signs, alpha = binary_signs(w)
        return cls(_pack_flat(signs.transpose(0, 2, 3, 1)), alpha,
                   None if m.bias is None else m.bias._data, m.in_channels, m.kernel_size,
                   m.stride, m.padding, m.dilation, m.groups,
                   "xnor" if isinstance(m, XNORConv2d) else "bwn", m.scale_input)

    @classmethod
    def from_weights(cls, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
                     mode="xnor"):
        """Pack a weight that is already binary (±α_k per output channel k)."""
        w = np.asarray(weight._data if isinstance(weight, Tensor) else weight)
        check_binary("PackedBinaryConv2d.from_weights", w)
        signs, alpha = binary_signs(w)
        def pair(v):
            return (v, v) if isinstance(v, int) else tuple(v)

        return cls(_pack_flat(signs.transpose(0, 2, 3, 1)), alpha, bias, w.shape[1] * groups,
                   w.shape[2:], pair(stride), pair(padding), pair(dilation), groups, mode)

    def signs_weight(self):
        """The ±α weight (K, C/G, kh, kw) float32, unpacked from the bits."""
        K, (kh, kw), Cg = self.out_channels, self.kernel_size, self.in_channels // self.groups
        bits = _unpack_flat(self.weight_bits._data, kh * kw * Cg).reshape(K, kh, kw, Cg)
        return (1.0 - 2.0 * bits.transpose(0, 3, 1, 2)) * self.alpha._data[:, None, None, None]

    def _geometry(self, H, W):
        """(kernel layout, corr) for an H×W input, computed once per size."""
        key = (H, W)
        if key not in self._cache:
            x = _xnor()
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, \
                self.padding, self.dilation
            out_hw = ((H + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
                      (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
            wp = x.pack_conv_weight(self.signs_weight())
            sums = x.tap_sums(wp, self.in_channels // self.groups, (kh, kw))
            corr = x.padding_correction(sums, (H, W), self.stride, ((ph, ph), (pw, pw)),
                                        self.dilation, out_hw)
            self._cache[key] = (x.filters_last(wp, self.groups), corr)
        return self._cache[key]

    def forward(self, input):
        if input.ndim != 4 or input.shape[1] != self.in_channels:
            raise ShapeError(f"PackedBinaryConv2d: input must have shape (N, "
                             f"{self.in_channels}, H, W) (in_channels={self.in_channels}), got "
                             f"{tuple(input.shape)}")
        if self.mode == "bwn":
            if "w" not in self._cache:
                self._cache["w"] = self.signs_weight().astype(input.dtype)
            bias = None if self.bias is None else Tensor(self._bias().astype(input.dtype))
            with no_grad():
                return conv2d(input.detach(), Tensor(self._cache["w"]), bias, self.stride,
                              self.padding, self.dilation, self.groups)
        wt, corr = self._geometry(*input.shape[2:])
        ph, pw = self.padding
        bias = None if self.scale_input else self._bias()
        y = _xnor().xnor_conv2d_packed(input._data, wt, self.alpha._data, bias, self.kernel_size,
                                       self.stride, ((ph, ph), (pw, pw)), self.dilation, corr)
        if self.scale_input:
            with no_grad():
                y = y * input_scale(input.detach(), self.kernel_size, self.stride,
                                    self.padding, self.dilation)._data
            if self.bias is not None:
                y += self._bias().astype(y.dtype)[:, None, None]
        return Tensor(y)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, mode={self.mode}")


class PackedBinaryLinear(_Packed):
    """A `BinaryLinear` / `XNORLinear` stored with 1 bit per weight, for inference."""

    def __init__(self, bits, alpha, bias, in_features, mode="xnor", scale_input=False):
        super().__init__()
        self.in_features, self.out_features = in_features, alpha.shape[0]
        self._init_packed(bits, alpha, bias, mode, scale_input)
        self._check_words("PackedBinaryLinear", (self.out_features,
                                                 _xnor().words(in_features)))

    @classmethod
    def from_module(cls, m):
        if not isinstance(m, BinaryLinear):
            raise ArgumentError(f"PackedBinaryLinear.from_module: module must be a "
                                f"BinaryLinear or XNORLinear, got {type(m).__name__}: a "
                                f"real-valued layer has no 1-bit form")
        w = np.clip(m.weight._data, -1, 1) if m.clip_weights else m.weight._data
        signs, alpha = binary_signs(w)
        return cls(_pack_flat(signs), alpha,
                   None if m.bias is None else m.bias._data, m.in_features,
                   "xnor" if isinstance(m, XNORLinear) else "bwn", m.scale_input)

    def signs_weight(self):
        bits = _unpack_flat(self.weight_bits._data, self.in_features)
        return (1.0 - 2.0 * bits) * self.alpha._data[:, None]

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ShapeError(f"PackedBinaryLinear: input must have {self.in_features} features "
                             f"(in_features) in its last dim, got shape {tuple(x.shape)}")
        if self.mode == "bwn":
            if "w" not in self._cache:
                self._cache["w"] = self.signs_weight().astype(x.dtype)
            bias = None if self.bias is None else Tensor(self._bias().astype(x.dtype))
            with no_grad():
                return linear(x.detach(), Tensor(self._cache["w"]), bias)
        if "wt" not in self._cache:
            self._cache["wt"] = _xnor().filters_last(self.weight_bits._data, 1)[0]
        rows = x._data.reshape(-1, self.in_features)
        bias = None if self.scale_input else self._bias()
        y = _xnor().xnor_linear_packed(rows, self._cache["wt"], self.alpha._data, bias,
                                       self.in_features)
        if self.scale_input:
            y *= np.abs(rows).mean(axis=1, keepdims=True).astype(y.dtype)
            if self.bias is not None:
                y += self._bias().astype(y.dtype)
        return Tensor(y.reshape(*x.shape[:-1], self.out_features))

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"mode={self.mode}"


def _pack_flat(signs):
    """(K, ...) ±1 → (K, ⌈n/64⌉) uint64, the n values of each row as bits (1 = negative)."""
    rows = np.ascontiguousarray(signs.reshape(signs.shape[0], -1) < 0)
    words = _xnor().words(rows.shape[1])
    padded = np.zeros((rows.shape[0], words * 64), bool)
    padded[:, :rows.shape[1]] = rows
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64)


def _unpack_flat(bits, n):
    """_pack_flat's inverse: (K, words) uint64 → (K, n) of 0 (+1) and 1 (−1)."""
    flat = np.unpackbits(np.ascontiguousarray(bits).view(np.uint8), axis=1, bitorder="little")
    return flat[:, :n].astype(np.float32)


def _binary_children(model):
    """(parent, attribute name, full name, module) of every binary layer in `model`."""
    for name, m in model.named_modules():
        for attr, child in m.named_children():
            if isinstance(child, (BinaryConv2d, BinaryLinear)):
                yield m, attr, f"{name}.{attr}" if name else attr, child


def pack_model(model):
    """A copy of `model` whose binary layers are packed (1 bit per weight), for inference."""
    packed = copy.deepcopy(model)
    for parent, attr, _, m in list(_binary_children(packed)):
        cls = PackedBinaryConv2d if isinstance(m, BinaryConv2d) else PackedBinaryLinear
        setattr(parent, attr, cls.from_module(m))
    return packed.eval()


def _layer_meta(m):
    if isinstance(m, PackedBinaryConv2d):
        return {"kind": "conv2d", "in_channels": m.in_channels,
                "kernel_size": list(m.kernel_size), "stride": list(m.stride),
                "padding": list(m.padding), "dilation": list(m.dilation), "groups": m.groups,
                "mode": m.mode, "scale_input": m.scale_input}
    return {"kind": "linear", "in_features": m.in_features, "mode": m.mode,
            "scale_input": m.scale_input}


def export_packed(model, path):
    """Write `model` with its binary layers packed to a safetensors file (atomic): for each
    binary layer `<name>.weight_bits` (uint64), `<name>.alpha`, `<name>.bias`; every other
    tensor as in the state dict; the packed layers' geometry in the metadata. Returns the
    packed model."""
    packed = model if not any(True for _ in _binary_children(model)) else pack_model(model)
    layers = {name: _layer_meta(m) for name, m in packed.named_modules()
              if isinstance(m, _Packed)}
    save(packed.state_dict(), path, metadata={"gradwork_packed": json.dumps(layers)})
    return packed


def load_packed(model, path):
    """Load a file written by `export_packed` into `model`, a freshly built network of the
    same architecture: its binary layers are replaced by packed ones (checked against the
    model's: same geometry, the right number of words), then every tensor is loaded.
    Returns the model, in eval mode."""
    meta = load_metadata(path).get("gradwork_packed")
    if meta is None:
        raise CheckpointError(f"load_packed: {path} has no 'gradwork_packed' metadata: not a "
                              "file written by export_packed")
    layers, arrays = json.loads(meta), load(path, as_arrays=True)
    found = {full: (parent, attr, m) for parent, attr, full, m in _binary_children(model)}
    if set(found) != set(layers):
        raise CheckpointError(f"load_packed: {path} packs layers {sorted(layers)}, the model "
                              f"has binary layers {sorted(found)}")
    for full, (parent, attr, m) in found.items():
        setattr(parent, attr, _packed_from_file(full, layers[full], m, arrays))
    model.load_state_dict(arrays)
    return model.eval()


def _packed_from_file(name, meta, m, arrays):
    """The packed twin of the model's layer `m`, filled from the file's arrays."""
    like = PackedBinaryConv2d if isinstance(m, BinaryConv2d) else PackedBinaryLinear
    template = like.from_module(m)
    if _layer_meta(template) != meta:
        raise CheckpointError(f"load_packed: layer {name}: the file has {meta}, the model "
                              f"{_layer_meta(template)}")
    bits = arrays.get(f"{name}.weight_bits")
    expected = tuple(template.weight_bits.shape)
    if bits is None or bits.dtype != np.uint64 or tuple(bits.shape) != expected:
        got = None if bits is None else f"{bits.dtype} {tuple(bits.shape)}"
        raise ShapeError(f"load_packed: {name}.weight_bits must be uint64 of shape {expected} "
                         f"({expected[1]} words per filter for {template.extra_repr()}), got "
                         f"{got}")
    alpha = arrays.get(f"{name}.alpha")
    if alpha is None or tuple(alpha.shape) != tuple(template.alpha.shape):
        raise ShapeError(f"load_packed: {name}.alpha must have shape "
                         f"{tuple(template.alpha.shape)}, got "
                         f"{None if alpha is None else tuple(alpha.shape)}")
    template.weight_bits._data[...] = bits
    template.alpha._data[...] = alpha
    template._cache.clear()
    return template


__all__ = ["PackedBinaryConv2d", "PackedBinaryLinear", "check_binary", "export_packed",
           "load_packed", "pack_model"]
