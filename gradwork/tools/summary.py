"""`summary(model, input_size)`: the per-layer table deck 002 draws for VGG-16 — output shape,
parameters, multiply-adds and activation memory of every layer, and the totals.

It runs one forward pass (eval mode, no gradients, a zero input) with a forward hook on every
leaf module (one without children), in the order the layers run.

Multiply-adds count only convolutions and linear layers (one MAC = one multiply and one add;
FLOPs ≈ 2 × MACs), as WORKLOADS.md does: bias, normalisation, activations and pooling are
left out. Linear: out.numel · in_features; Conv: out.numel · (C_in/groups) · k_h · k_w;
ConvTranspose: in.numel · (C_out/groups) · k_h · k_w. "Bits" is the storage of a weight
(32 for float32; 1 for binary layers, whose "Stored" bytes are their packed form: the bit
words, a float α per channel and the bias, nn/binary_packed.py). Activation memory is each layer's
output (all its Tensors) in bytes; the total includes the input, like the deck's "TOTAL
memory" (forward only: training keeps about twice that).
"""
from dataclasses import dataclass, field

from .. import nn
from ..autograd import Tensor, no_grad
from ..backend import np


def _classes(*names):
    return tuple(c for c in (getattr(nn, n, None) for n in names) if c is not None)


_CONV = _classes("Conv1d", "Conv2d", "Conv3d")
_CONV_T = _classes("ConvTranspose1d", "ConvTranspose2d")
_BINARY = _classes("BinaryConv2d", "BinaryLinear", "PackedBinaryConv2d", "PackedBinaryLinear")
# Shape-preserving elementwise layers: deck 002's VGG table counts their output as the layer
# before's (ReLU applied in place), so the "in place" total leaves them out.
_IN_PLACE = _classes("ReLU", "LeakyReLU", "ELU", "Tanh", "Sigmoid", "Softplus", "Dropout",
                     "Dropout2d", "Identity")


@dataclass
class LayerRow:
    name: str
    type: str
    output_shape: tuple
    params: int
    macs: int
    memory_bytes: int
    in_place: bool = False
    weight_bits: int = 0
    stored_bytes: int = 0


@dataclass
class ModelSummary:
    rows: list = field(default_factory=list)
    input_shape: tuple = ()
    input_bytes: int = 0
    total_params: int = 0
    trainable_params: int = 0
    param_bytes: int = 0
    itemsize: int = 4

    @property
    def stored_bytes(self):
        """Bytes of the parameters as stored: binary layers packed at 1 bit per weight."""
        return sum(r.stored_bytes for r in self.rows)

    @property
    def total_macs(self):
        return sum(r.macs for r in self.rows)

    @property
    def activation_bytes(self):
        return self.input_bytes + sum(r.memory_bytes for r in self.rows)

    @property
    def activation_bytes_in_place(self):
        """Deck 002's accounting: activations and dropout overwrite their input."""
        return self.input_bytes + sum(r.memory_bytes for r in self.rows if not r.in_place)

    def __str__(self):
        head = f"{'Layer (type)':<40} {'Output shape':<22} {'Params':>12} {'Mult-adds':>15} " \
               f"{'Memory':>10} {'Bits':>4} {'Stored':>10}"
        lines = [head, "=" * len(head),
                 f"{'input':<40} {str(self.input_shape):<22} {0:>12,} {0:>15,} "
                 f"{_bytes(self.input_bytes):>10}"]
        for r in self.rows:
            label = f"{r.name} ({r.type})"
            bits = f"{r.weight_bits}" if r.weight_bits else ""
            lines.append(f"{label[:40]:<40} {str(r.output_shape):<22} {r.params:>12,} "
                         f"{r.macs:>15,} {_bytes(r.memory_bytes):>10} {bits:>4} "
                         f"{_bytes(r.stored_bytes) if r.weight_bits else '':>10}")
        lines += ["=" * len(head),
                  f"Total params: {self.total_params:,} (trainable {self.trainable_params:,}; "
                  f"{_bytes(self.param_bytes)}; stored with binary layers at 1 bit per "
                  f"weight: {_bytes(self.stored_bytes)})",
                  f"Total multiply-adds (conv/linear): {self.total_macs:,} = "
                  f"{self.total_macs / 1e9:.4g} G MACs = {2 * self.total_macs / 1e9:.4g} GFLOP "
                  "forward (1 MAC = 2 FLOPs; He et al.'s \"FLOPs\" count MACs)",
                  f"Activation memory (forward, with the input): {_bytes(self.activation_bytes)}"
                  f" = {self.activation_bytes / self.itemsize / 1e6:.1f} M values; "
                  f"{_bytes(self.activation_bytes_in_place)} = "
                  f"{self.activation_bytes_in_place / self.itemsize / 1e6:.1f} M values with "
                  "activations in place (deck 002's per-layer accounting)"]
        return "\n".join(lines)


def _bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _tensors(value):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _macs(module, inputs, outputs):
    out = outputs[0]._data.size if outputs else 0
    if isinstance(module, nn.Linear):
        return out * module.in_features
    if _CONV and isinstance(module, _CONV):
        return out * (module.in_channels // module.groups) * int(np.prod(module.kernel_size))
    if _CONV_T and isinstance(module, _CONV_T):
        x = _tensors(inputs)[0]
        return x._data.size * (module.out_channels // module.groups) * \
            int(np.prod(module.kernel_size))
    return 0


def _storage(module, own):
    """(bits per weight, bytes stored) of a layer's parameters: binary layers packed."""
    if _BINARY and isinstance(module, _BINARY):
        return 1, module.stored_bytes()
    nbytes = sum(p._data.nbytes for p in own)
    return (8 * own[0]._data.itemsize, nbytes) if own else (0, 0)


def summary(model, input_size, batch_size=1, dtype="float32", inputs=None):
    """Summarise `model` on an input of shape (batch_size, *input_size), or on `inputs` (a
    tuple of Tensors: the forward's arguments, e.g. images and token ids); returns a
    `ModelSummary` (print it for the table)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"summary: model must be a gradwork.nn.Module, got "
                        f"{type(model).__name__}")
    input_size = tuple(input_size)
    if not input_size or any(not isinstance(s, int) or s <= 0 for s in input_size):
        raise ValueError(f"summary: input_size must be positive ints, got {input_size}")
    result = ModelSummary()
    names = {id(m): name for name, m in model.named_modules()}
    seen_params = set()

    def hook(module, inputs, output):
        outs = _tensors(output)
        own = [p for p in module.parameters(recurse=False) if id(p) not in seen_params]
        seen_params.update(id(p) for p in own)
        result.rows.append(LayerRow(names.get(id(module), "?"), type(module).__name__,
                                    tuple(outs[0].shape) if outs else (),
                                    sum(p.numel() for p in own), _macs(module, inputs, outs),
                                    sum(t._data.nbytes for t in outs),
                                    isinstance(module, _IN_PLACE), *_storage(module, own)))

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    inputs = inputs or (Tensor(np.zeros((batch_size, *input_size), dtype=dtype)),)
    x = inputs[0]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    params = list(model.parameters())
    result.input_shape, result.input_bytes = tuple(x.shape), x._data.nbytes
    result.itemsize = x._data.itemsize
    result.total_params = sum(p.numel() for p in params)
    result.trainable_params = sum(p.numel() for p in params if p.requires_grad)
    result.param_bytes = sum(p._data.nbytes for p in params)
    return result
