"""Sequence to sequence with attention (Bahdanau, Cho & Bengio 2015, "Neural machine
translation by jointly learning to align and translate", §3 and appendix A), deck 000's
"Attention: translating language A to B".

A bidirectional LSTM encodes the source, h^(k) = [→h_k; ←h_k] (deck: h^(i) = Bi-LSTM^(A)(x^(i),
s_A^(i−1))). At each target step i the decoder attends to every h^(k) from its previous state:

    f_{i,k} = vᵀ tanh(W s_{i−1} + U h^(k)),  α_{i,k} = softmax_k f_{i,k},  c_i = Σ_k α_{i,k} h^(k)
    s_i = LSTMCell([E y_{i−1}; c_i], s_{i−1}),   logits_i = W_o [s_i; c_i]

with s_0 = tanh(W_s ←h_1) as in the paper. The deck writes the decoder as a Bi-LSTM; a decoder
that generates left to right can only be unidirectional, so it is an LSTM cell here (the paper
uses a GRU-like unit). Padded source positions (given `src_lengths`) get zero attention.
`translate` decodes greedily; `beam_search` keeps the k most probable translations (§4.2).

`attention` picks what the score network f_{i,k} = NeuralNetwork(Δ^(i−1), h^(k)) reads (deck
000, "Attention Weights"):
    "bahdanau"  Δ^(i−1) = s_B^(i−1), the decoder's previous state (Bahdanau et al. 2015), additive
    "gnmt"      Δ^(i−1) = y^(i−1), the decoder's previous output (Wu et al. 2016, §3): the vector
                the softmax layer read at step i−1, o_{i−1} = [s_{i−1}; c_{i−1}] (o_0 = [s_0; 0]),
                so the score also sees the previous context; additive
    "general"   f = s_{i−1}ᵀ W_a h^(k) (Luong et al. 2015's bilinear score; "dot" needs equal
                widths, and the Bi-LSTM's annotations are 2H wide: nn.DotProductAttention)
    None        no attention ("What is the problem with this model?", Sutskever et al. 2014):
                the decoder sees the source only through s_0, its initial state from the
                encoder's final state; logits = W_o s_i.
    "fixed"     no attention, Cho et al. 2014's encoder–decoder (Bahdanau et al.'s RNNencdec
                baseline): one fixed context c = [→h_S; ←h_1], the encoder's final states, is
                fed to every decoder step in place of c_i; logits = W_o [s_i; c].
"""
from .. import backend, nn
from ..autograd import Tensor, no_grad
from ..ops import cat, log_softmax, stack, zeros
from .beam_search import beam_search
from .registry import register


def _check_tokens(what, t, min_length=1):
    if not isinstance(t, Tensor) or t.ndim != 2 or t.shape[1] < min_length or \
            t.dtype.kind not in "iu":
        got = f"{t.dtype} {tuple(t.shape)}" if isinstance(t, Tensor) else type(t).__name__
        raise ValueError(f"seq2seq_attention: {what} must be integer tokens (N, T) with "
                         f"T ≥ {min_length}, got {got}")


ATTENTIONS = ("bahdanau", "gnmt", "general", "fixed", None)


class Seq2SeqAttention(nn.Module):
    """`src_embed`, `encoder` (Bi-LSTM), `bridge` (W_s), `tgt_embed`, `attention` (additive,
    general or none), `decoder` (LSTMCell), `out` (W_o). The decoder state is (s, m), plus the
    previous output o for attention="gnmt"."""

    def __init__(self, src_vocab_size, tgt_vocab_size, embed_size=256, hidden_size=256,
                 attention_size=None, num_layers=1, dropout=0.0, attention="bahdanau"):
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"seq2seq_attention: attention must be one of {ATTENTIONS}, got "
                             f"{attention!r}")
        H = hidden_size
        self.hidden_size, self.tgt_vocab_size, self.kind = H, tgt_vocab_size, attention
        C = 0 if attention is None else 2 * H                       # context width
        self.src_embed = nn.Embedding(src_vocab_size, embed_size)
        self.encoder = nn.LSTM(embed_size, H, num_layers, batch_first=True, bidirectional=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.bridge = nn.Linear(H, H)
        self.tgt_embed = nn.Embedding(tgt_vocab_size, embed_size)
        if attention == "general":
            self.attention = nn.GeneralAttention(H, 2 * H)
        elif attention not in (None, "fixed"):
            query = 3 * H if attention == "gnmt" else H
            self.attention = nn.AdditiveAttention(query, 2 * H, attention_size or H)
        self.decoder = nn.LSTMCell(embed_size + C, H)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(H + C, tgt_vocab_size)

    @property
    def attends(self):
        """Whether the decoder attends (and so returns attention weights)."""
        return self.kind not in (None, "fixed")

    def encode(self, src, src_lengths=None):
        """→ annotations h (N, S, 2H) and the decoder's initial state (s_0, m_0)."""
        _check_tokens("src", src)
        h, (h_n, _) = self.encoder(self.src_embed(src), lengths=src_lengths)
        s0 = self.bridge(h_n[-1]).tanh()              # ←h_1: the last layer's backward state
        state = (s0, zeros(*s0.shape, dtype=s0.dtype, device=s0.device))
        if self.kind == "fixed":                      # c = [→h_S; ←h_1]
            state += (cat([h_n[-2], h_n[-1]], 1),)
        if self.kind == "gnmt":                       # o_0 = [s_0; 0]
            state += (cat([s0, zeros(s0.shape[0], 2 * self.hidden_size, dtype=s0.dtype,
                                     device=s0.device)], 1),)
        return h, state

    def step(self, y_prev, state, h, src_lengths=None):
        """One decoder step: previous tokens (N,) → logits (N, V), new state, α (N, S) (None
        without attention)."""
        if self.kind is None:
            s, m = self.decoder(self.tgt_embed(y_prev), state)
            return self.out(self.dropout(s)), (s, m), None
        if self.kind == "fixed":
            c, alpha = state[2], None                                 # the same c every step
        else:
            query = state[2] if self.kind == "gnmt" else state[0]     # Δ^(i−1)
            c, alpha = self.attention(query, h, lengths=src_lengths)  # c_i (N, 2H)
        s, m = self.decoder(cat([self.tgt_embed(y_prev), c], 1), state[:2])
        out = cat([s, c], 1)                                          # o_i
        logits = self.out(self.dropout(out))
        extra = {"gnmt": (out,), "fixed": (c,)}.get(self.kind, ())
        return logits, (s, m, *extra), alpha

    def forward(self, src, tgt, src_lengths=None):
        """Teacher forcing: tgt (N, T) starts with the start token → logits (N, T − 1, V) for
        the targets tgt[:, 1:]."""
        _check_tokens("tgt", tgt, min_length=2)
        if src.shape[0] != tgt.shape[0]:
            raise ValueError(f"seq2seq_attention: {src.shape[0]} source sequences but "
                             f"{tgt.shape[0]} target sequences")
        h, state = self.encode(src, src_lengths)
        logits = []
        for i in range(tgt.shape[1] - 1):
            step_logits, state, _ = self.step(tgt[:, i], state, h, src_lengths)
            logits.append(step_logits)
        return stack(logits, 1)

    def translate(self, src, start_token, max_length=50, end_token=None, src_lengths=None):
        """Greedy decoding → tokens (N, ≤ max_length) and attention weights (N, ≤ max_length, S)
        (None without attention). Once a sequence emits `end_token` it keeps emitting it."""
        with no_grad():
            h, state = self.encode(src, src_lengths)
            xp = backend.array_module(src._data)
            token = Tensor(xp.full((src.shape[0],), start_token, dtype="int64"))
            done = xp.zeros(src.shape[0], dtype=bool)
            tokens, weights = [], []
            for _ in range(max_length):
                logits, state, alpha = self.step(token, state, h, src_lengths)
                best = logits.argmax(-1)._data
                if end_token is not None:
                    best = xp.where(done, end_token, best)
                    done |= best == end_token
                token = Tensor(best)
                tokens.append(token)
                weights.append(alpha)
                if done.all():
                    break
            return stack(tokens, 1), stack(weights, 1) if self.attends else None

    def beam_search(self, src, start_token, beam_size=3, max_length=50, end_token=None,
                    src_lengths=None, length_penalty=0.0, return_all=False,
                    length_norm="power"):
        """Beam search (see `models.beam_search`) → the best translation per source (N, ≤
        max_length) int64, padded with `end_token` like `translate`, its attention weights
        (N, ≤ max_length, S) and its score (N,): Σ_i log p(y_i | y_<i, x) over the words up to
        the end token, / length^length_penalty, or with length_norm="gnmt" / lp(Y) =
        ((5 + |Y|) / 6)^length_penalty (Wu et al. 2016, eq. 14). With return_all, the
        beam_size best, best first: (N, k, ≤ max_length), (N, k, ≤ max_length, S) and (N, k).
        Without attention the weights are None."""
        def step(tokens, state, h, lengths):
            *dec, weights = state                                   # weights: α so far
            logits, dec, alpha = self.step(tokens, tuple(dec), h, lengths)
            if alpha is not None:
                weights = cat([weights, alpha.unsqueeze(1)], 1)
            return log_softmax(logits, -1), (*dec, weights)

        with no_grad():
            h, dec = self.encode(src, src_lengths)
            lengths = None
            if src_lengths is not None:
                lengths = src_lengths if isinstance(src_lengths, Tensor) else \
                    Tensor(backend.array_module(h._data).asarray(src_lengths))
            weights = zeros(src.shape[0], 0, h.shape[1], dtype=h.dtype,    # (N, 0, S)
                            device=h.device)
        tokens, scores, (*_, weights) = beam_search(
            step, (*dec, weights), src.shape[0], start_token, beam_size, max_length,
            end_token, length_penalty, context=(h, lengths), length_norm=length_norm)
        N, k, L = tokens.shape
        weights = weights.reshape(N, k, L, -1) if self.attends else None        # (N, k, L, S)
        if return_all:
            return tokens, weights, scores
        return tokens[:, 0], None if weights is None else weights[:, 0], scores[:, 0]


@register("seq2seq_attention")
def seq2seq_attention(src_vocab_size=10000, tgt_vocab_size=10000, **kwargs):
    """Bi-LSTM encoder + additive-attention LSTM decoder (vocabularies 10,000 unless given)."""
    return Seq2SeqAttention(src_vocab_size, tgt_vocab_size, **kwargs)
