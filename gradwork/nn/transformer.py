"""`TransformerEncoderLayer` and `TransformerEncoder`, PyTorch's (Vaswani et al. 2017,
"Attention Is All You Need", §3.1; pre-norm: Xiong et al. 2020, "On Layer Normalization in
the Transformer Architecture").

    post-norm (norm_first=False):  x ← LN₁(x + SA(x));      x ← LN₂(x + FF(x))
    pre-norm  (norm_first=True):   x ← x + SA(LN₁(x));      x ← x + FF(LN₂(x))
    FF(x) = W₂ dropout(act(W₁ x + b₁)) + b₂

Submodule names are PyTorch's (`self_attn`, `linear1`, `linear2`, `norm1`, `norm2`,
`layers.0...`), so state_dicts load unchanged.
"""
import copy

from ..errors import ArgumentError
from ..ops import activation, dropout
from .containers import ModuleList
from .linear import Linear
from .module import Module
from .multihead_attention import MultiheadAttention
from .norm import LayerNorm

_ACTIVATIONS = {"relu": activation.relu, "gelu": activation.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then a position-wise feed-forward block, each with a residual and a
    LayerNorm. Input (S, N, E), or (N, S, E) with batch_first=True, or unbatched (S, E);
    src_mask (S, S) and src_key_padding_mask (N, S) as MultiheadAttention's masks."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 dtype=None):
        super().__init__()
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ArgumentError(f"TransformerEncoderLayer: activation must be 'relu', "
                                    f"'gelu' or a callable, got {activation!r}")
            activation = _ACTIVATIONS[activation]
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout_p, self.norm_first, self.activation = dropout, norm_first, activation
        self.batch_first = batch_first

    def _drop(self, x):
        return dropout(x, self.dropout_p, True) if self.training and self.dropout_p > 0 else x

    def _sa_block(self, x, mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self._drop(x)

    def _ff_block(self, x):
        return self._drop(self.linear2(self._drop(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer`, then an optional final `norm`."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise ArgumentError(f"TransformerEncoder: num_layers must be a positive integer, "
                                f"got {num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
