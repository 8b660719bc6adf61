"""Attention for sequence-to-sequence models (deck 000, "Attention Mechanism").

Each decoder step i attends to the encoder states h_k through weights that sum to one,
    α_{i,k} = exp(f_{i,k}) / Σ_q exp(f_{i,q}),   c_i = Σ_k α_{i,k} v_k     (deck 000)
and the classes differ only in the score f:
    AdditiveAttention   f = vᵀ tanh(W s + U h)    Bahdanau et al. 2015 (Luong's "concat")
    DotProductAttention f = sᵀ h  (÷ √d if scaled) Luong et al. 2015 ("dot"), Vaswani 2017
    GeneralAttention    f = sᵀ W h                 Luong et al. 2015 ("general")

All take query (N, D_q) or (N, T_q, D_q), keys (N, T_k, D_k), values (N, T_k, D_v) (default:
the keys) and optionally key_padding_mask (N, T_k) (True = padding) or lengths (N,), and
return (context (N, [T_q,] D_v), weights (N, [T_q,] T_k)). Padded keys get exactly zero
weight. A sequence whose keys are all padded has no distribution to attend with: ValueError.
"""
import math

from .. import backend
from ..autograd import Tensor
from ..errors import check_positive_int
from ..ops import masked_fill, matmul, softmax, squeeze, tanh, transpose, unsqueeze
from .linear import Linear
from .module import Module


class _Attention(Module):
    """Shared forward: checks, score, mask, softmax over the keys, weighted sum of values."""

    query_dim = key_dim = None          # set by subclasses whose score has parameters

    def score(self, query, keys):       # (N, T_q, D_q), (N, T_k, D_k) → (N, T_q, T_k)
        raise NotImplementedError

    def forward(self, query, keys, values=None, key_padding_mask=None, lengths=None):
        name = type(self).__name__
        values = keys if values is None else values
        if keys.ndim != 3:
            raise ValueError(f"{name}: keys must have shape (N, T_k, D_k), got {tuple(keys.shape)}")
        if query.ndim not in (2, 3) or query.shape[0] != keys.shape[0]:
            raise ValueError(f"{name}: query must have shape (N, D_q) or (N, T_q, D_q) with "
                             f"N = {keys.shape[0]} (keys {tuple(keys.shape)}), got "
                             f"{tuple(query.shape)}")
        if values.ndim != 3 or values.shape[:2] != keys.shape[:2]:
            raise ValueError(f"{name}: values must have shape {tuple(keys.shape[:2])} + (D_v,) "
                             f"like keys {tuple(keys.shape)}, got {tuple(values.shape)}")
        for what, dim, expected in (("query", query.shape[-1], self.query_dim),
                                    ("keys", keys.shape[-1], self.key_dim)):
            if expected is not None and dim != expected:
                raise ValueError(f"{name}: {what} must have last dimension {expected}, got {dim}")
        single = query.ndim == 2
        q = unsqueeze(query, 1) if single else query                 # (N, T_q, D_q)
        scores = self.score(q, keys)                                  # (N, T_q, T_k)
        mask = self._padding_mask(key_padding_mask, lengths, keys)
        if mask is not None:
            scores = masked_fill(scores, mask[:, None, :], -math.inf)
        weights = softmax(scores, -1)                                 # α_{i,k}
        context = matmul(weights, values)                             # c_i = Σ_k α_{i,k} v_k
        if single:
            return squeeze(context, 1), squeeze(weights, 1)
        return context, weights

    def _padding_mask(self, key_padding_mask, lengths, keys):
        name = type(self).__name__
        N, T_k = keys.shape[:2]
        if key_padding_mask is not None and lengths is not None:
            raise ValueError(f"{name}: give key_padding_mask or lengths, not both")
        if lengths is not None:
            xp = backend.array_module(keys._data)
            n = xp.asarray(lengths._data if isinstance(lengths, Tensor) else lengths).reshape(-1)
            if n.shape != (N,) or n.dtype.kind not in "iu":
                raise ValueError(f"{name}: lengths must be {N} integers (one per sequence), got "
                                 f"shape {tuple(n.shape)} of dtype {n.dtype}")
            mask = xp.arange(T_k)[None, :] >= n[:, None]
        elif key_padding_mask is not None:
            mask = key_padding_mask
            mask = mask._data if isinstance(mask, Tensor) else mask
            if mask.shape != (N, T_k) or mask.dtype.kind != "b":
                raise ValueError(f"{name}: key_padding_mask must be a bool array of shape "
                                 f"{(N, T_k)} (True = padding), got {mask.dtype} "
                                 f"{tuple(mask.shape)}")
        else:
            return None
        empty = mask.all(axis=1)
        if empty.any():
            raise ValueError(f"{name}: every key of sequence {int(empty.nonzero()[0][0])} is "
                             "padded; attention needs at least one key per sequence")
        return mask


# f_{i,k} = vᵀ tanh(W s_{i−1} + U h_k)   (Bahdanau et al. 2015, eq. 6 / appendix A.1.2)
class AdditiveAttention(_Attention):
    """Bahdanau (additive, "concat" in Luong) attention; see the module docstring.

    Parameters: query_proj.weight W (hidden, D_q), key_proj.weight U (hidden, D_k) (plus
    key_proj.bias if bias=True), v.weight (1, hidden). Initialised like Linear."""

    def __init__(self, query_dim, key_dim, hidden_dim, bias=False):
        super().__init__()
        for arg, value in (("query_dim", query_dim), ("key_dim", key_dim),
                           ("hidden_dim", hidden_dim)):
            check_positive_int("AdditiveAttention", arg, value)
        self.query_dim, self.key_dim, self.hidden_dim = query_dim, key_dim, hidden_dim
        self.query_proj = Linear(query_dim, hidden_dim, bias=False)
        self.key_proj = Linear(key_dim, hidden_dim, bias=bias)
        self.v = Linear(hidden_dim, 1, bias=False)

    def score(self, query, keys):
        ws = unsqueeze(self.query_proj(query), 2)                     # (N, T_q, 1, H)
        uh = unsqueeze(self.key_proj(keys), 1)                        # (N, 1, T_k, H)
        return squeeze(self.v(tanh(ws + uh)), -1)                     # (N, T_q, T_k)

    def extra_repr(self):
        return f"query_dim={self.query_dim}, key_dim={self.key_dim}, hidden_dim={self.hidden_dim}"


# f_{i,k} = s_iᵀ h_k  (÷ √D if scaled)   (Luong et al. 2015, "dot"; Vaswani et al. 2017)
class DotProductAttention(_Attention):
    """Luong's dot score (no parameters); scaled=True divides by √D (Vaswani et al. 2017).
    The query and the keys must have the same width D."""

    def __init__(self, scaled=False):
        super().__init__()
        self.scaled = bool(scaled)

    def score(self, query, keys):
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(f"DotProductAttention: query width {query.shape[-1]} must equal key "
                             f"width {keys.shape[-1]}")
        scores = matmul(query, transpose(keys, 1, 2))                 # (N, T_q, T_k)
        return scores * (1.0 / math.sqrt(keys.shape[-1])) if self.scaled else scores

    def extra_repr(self):
        return f"scaled={self.scaled}"


# f_{i,k} = s_iᵀ W_a h_k   (Luong et al. 2015, "general")
class GeneralAttention(_Attention):
    """Luong's general (bilinear) score; parameter key_proj.weight W_a (D_q, D_k)."""

    def __init__(self, query_dim, key_dim):
        super().__init__()
        check_positive_int("GeneralAttention", "query_dim", query_dim)
        check_positive_int("GeneralAttention", "key_dim", key_dim)
        self.query_dim, self.key_dim = query_dim, key_dim
        self.key_proj = Linear(key_dim, query_dim, bias=False)

    def score(self, query, keys):
        return matmul(query, transpose(self.key_proj(keys), 1, 2))   # (N, T_q, T_k)

    def extra_repr(self):
        return f"query_dim={self.query_dim}, key_dim={self.key_dim}"
