"""`MultiheadAttention`, PyTorch's `torch.nn.MultiheadAttention` (Vaswani et al. 2017,
"Attention Is All You Need", §3.2).

    head_h = softmax(Q W_hᵠ (K W_hᴷ)ᵀ / √d + M) V W_hⱽ,   out = concat(head_1..head_H) Wᴼ + bᴼ

with d = embed_dim / num_heads and M the additive mask (−∞ where a bool mask is True).
Parameters carry PyTorch's names (`in_proj_weight` (3E, E), `in_proj_bias` (3E,),
`out_proj.weight`, `out_proj.bias`; `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when
kdim or vdim differ from embed_dim), so a PyTorch state_dict loads unchanged.
"""
import math

from .. import backend
from ..autograd import Tensor
from ..errors import ArgumentError, DTypeError, ShapeError
from ..ops import dropout, linear, matmul, softmax
from . import init
from .linear import Linear, check_positive_int
from .module import Module
from .parameter import Parameter


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention.

    forward(query (L, N, E), key (S, N, E_k), value (S, N, E_v)) — (N, L, E) etc. with
    batch_first=True, or unbatched (L, E) — returns (attn_output like query, weights):
    weights (N, L, S) averaged over heads, (N, H, L, S) with average_attn_weights=False,
    or None with need_weights=False. key_padding_mask (N, S): True (bool) = ignore that key,
    or float values added to the scores. attn_mask (L, S) or (N·H, L, S), bool or float,
    likewise; is_causal with attn_mask=None masks the future.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, dtype=None):
        super().__init__()
        check_positive_int("MultiheadAttention", "embed_dim", embed_dim)
        check_positive_int("MultiheadAttention", "num_heads", num_heads)
        if embed_dim % num_heads:
            raise ArgumentError(f"MultiheadAttention: embed_dim must be divisible by num_heads, "
                                f"got embed_dim={embed_dim}, num_heads={num_heads}")
        if add_bias_kv or add_zero_attn:
            raise ArgumentError("MultiheadAttention: add_bias_kv and add_zero_attn are not "
                                "supported (they must be False)")
        if not 0 <= dropout < 1:
            raise ArgumentError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        np, e = backend.np, embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * e, e), dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((e, e), dtype))
            self.k_proj_weight = Parameter(np.empty((e, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((e, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * e, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's: Xavier-uniform projections, zero biases."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        e, b = self.embed_dim, self.in_proj_bias
        bq, bk, bv = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            return (w[:e], bq), (w[e:2 * e], bk), (w[2 * e:], bv)
        return (self.q_proj_weight, bq), (self.k_proj_weight, bk), (self.v_proj_weight, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ShapeError(f"MultiheadAttention: query, key and value must all be 3-d "
                             f"(batched) or 2-d (unbatched), got {tuple(query.shape)}, "
                             f"{tuple(key.shape)}, {tuple(value.shape)}")
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:              # (L, N, E) → (N, L, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, tq, e = query.shape
        tk = key.shape[1]
        if e != self.embed_dim:
            raise ShapeError(f"MultiheadAttention: query's last dim must be embed_dim = "
                             f"{self.embed_dim}, got {tuple(query.shape)}")
        h, d = self.num_heads, self.head_dim
        (wq, bq), (wk, bk), (wv, bv) = self._projections()
        q = linear(query, wq, bq).reshape(n, tq, h, d).permute(0, 2, 1, 3)   # (N, H, L, d)
        k = linear(key, wk, bk).reshape(n, tk, h, d).permute(0, 2, 3, 1)     # (N, H, d, S)
        v = linear(value, wv, bv).reshape(n, tk, h, d).permute(0, 2, 1, 3)   # (N, H, S, d)
        scores = matmul(q * (1.0 / math.sqrt(d)), k)                          # (N, H, L, S)
        mask = self._additive_mask(attn_mask, key_padding_mask, is_causal, n, tq, tk,
                                   scores.dtype)
        if mask is not None:
            scores = scores + mask
        weights = softmax(scores, -1)
        if self.dropout > 0 and self.training:
            weights = dropout(weights, self.dropout, True)
        out = matmul(weights, v).permute(0, 2, 1, 3).reshape(n, tq, e)        # (N, L, E)
        out = self.out_proj(out)
        if unbatched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)                                         # (N, L, S)
        return out, (weights.squeeze(0) if unbatched else weights)

    def _additive_mask(self, attn_mask, key_padding_mask, is_causal, n, tq, tk, dtype):
        """One float mask broadcastable to (N, H, L, S): 0 where allowed, −∞ where not."""
        xp = backend.np
        total = None
        if attn_mask is None and is_causal:
            attn_mask = Tensor(xp.triu(xp.ones((tq, tk), bool), 1))
        if attn_mask is not None:
            m = _as_additive(attn_mask, dtype, "attn_mask")
            if m.ndim == 2 and m.shape == (tq, tk):
                total = m                                                     # (L, S)
            elif m.ndim == 3 and m.shape == (n * self.num_heads, tq, tk):
                total = m.reshape(n, self.num_heads, tq, tk)
            else:
                raise ShapeError(f"MultiheadAttention: attn_mask must have shape ({tq}, {tk}) "
                                 f"or ({n * self.num_heads}, {tq}, {tk}), got "
                                 f"{tuple(attn_mask.shape)}")
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, tk):
                raise ShapeError(f"MultiheadAttention: key_padding_mask must have shape "
                                 f"({n}, {tk}), got {tuple(key_padding_mask.shape)}")
            m = _as_additive(key_padding_mask, dtype, "key_padding_mask").reshape(n, 1, 1, tk)
            total = m if total is None else total + m
        return total


def _as_additive(mask, dtype, name):
    """A bool mask becomes 0/−∞; a float mask is added as it is."""
    if not isinstance(mask, Tensor):
        mask = Tensor(mask)
    if mask.dtype == bool:
        xp = backend.array_module(mask._data)
        return Tensor(xp.where(mask._data, -xp.inf, 0).astype(dtype))
    if mask.dtype.kind != "f":
        raise DTypeError(f"MultiheadAttention: {name} must be a bool or float tensor, got "
                         f"{mask.dtype}")
    return mask.to(dtype) if mask.dtype != dtype else mask
