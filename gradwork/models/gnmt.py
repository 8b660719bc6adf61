"""A small GNMT-shaped translator (Wu et al. 2016, "Google's Neural Machine Translation
System", §3 and Fig. 1), deck 000's "Attention Weights" with Δ^(i−1) = y^(i−1).

Encoder (layers numbered from 1 at the bottom):
    x¹ = E_src w,   x² = [→LSTM₁(x¹); ←LSTM₁(x¹)]        the bottom layer is bidirectional (2H)
    x^{l+1} = LSTM_l(x^l)                for l < r      (layer 2 maps 2H → H)
    x^{l+1} = LSTM_l(x^l) + x^l          for l ≥ r      residual, r = `residual_start` (paper: 3)
and the annotations are the top layer's outputs x_t (N, S, H).

Decoder step i (y^(i−1) = the bottom decoder layer's output at step i − 1, §3 "we use the
output from the bottom decoder layer"; zero at i = 1):
    s_t = AttentionFunction(y^(i−1), x_t),  p_t = softmax_t s_t,  a_i = Σ_t p_t x_t
    h¹_i = LSTM¹([E_tgt y_{i−1}; a_i]),   h^l_i = LSTM^l([ĥ^{l−1}_i; a_i])
    ĥ^l = h^l + ĥ^{l−1} for l ≥ r (residual), else h^l;   logits_i = W_o ĥ^L_i
so a_i is fed to every decoder layer, the bottom one included: it depends on h¹_{i−1} only, so
it is known before step i starts (Fig. 1's caption sends it to "the remaining decoder layers";
the open-source version feeds the bottom layer a_{i−1} instead). AttentionFunction is the
paper's one-hidden-layer network (`attention="additive"`, nn.AdditiveAttention) or Luong's
"general" / "dot" (nn.GeneralAttention / nn.DotProductAttention). Decoder states start at
zero (the paper does not say; its open-source version passes the encoder's states on). The
paper's 8 + 8 layers of 1024 units become `encoder_layers` + `decoder_layers` of
`hidden_size`: the default, 3 + 3 of 64, keeps one residual layer in each stack (r = 3).

Teacher forcing (`forward`), greedy decoding (`translate`) and beam search with GNMT's length
normalisation (`beam_search(..., length_norm="gnmt")`) are Seq2SeqAttention's, over this
model's `encode` and `step`.
"""
from .. import nn
from ..errors import check_choice, check_positive_int
from ..ops import cat, zeros
from .registry import register
from .seq2seq import Seq2SeqAttention, _check_tokens

SCORES = ("additive", "general", "dot")


class GNMT(Seq2SeqAttention):
    """`src_embed`, `encoder` (ModuleList: a bidirectional LSTM, then LSTMs), `tgt_embed`,
    `attention`, `decoder` (ModuleList of LSTMCells), `dropout`, `out` (W_o). The decoder
    state is (h¹, c¹, …, h^L, c^L); h¹ is the next step's attention query."""

    def __init__(self, src_vocab_size, tgt_vocab_size, embed_size=64, hidden_size=64,
                 encoder_layers=3, decoder_layers=3, attention="additive", attention_size=None,
                 residual_start=3, dropout=0.0):
        nn.Module.__init__(self)       # own modules; forward and the decoders are inherited
        for arg, value in (("encoder_layers", encoder_layers),
                           ("decoder_layers", decoder_layers),
                           ("residual_start", residual_start)):
            check_positive_int("GNMT", arg, value)
        if residual_start < 3:
            raise ValueError(f"GNMT: residual_start must be ≥ 3 (layer 2 maps the bidirectional "
                             f"layer's 2H outputs to H, so it cannot be residual), got "
                             f"{residual_start}")
        check_choice("GNMT", "attention", attention, SCORES)
        H = hidden_size
        self.hidden_size, self.tgt_vocab_size, self.kind = H, tgt_vocab_size, attention
        self.residual_start = residual_start
        self.src_embed = nn.Embedding(src_vocab_size, embed_size)
        self.encoder = nn.ModuleList(
            [nn.LSTM(embed_size, H, batch_first=True, bidirectional=True)] +
            [nn.LSTM(2 * H if k == 2 else H, H, batch_first=True)
             for k in range(2, encoder_layers + 1)])
        self.tgt_embed = nn.Embedding(tgt_vocab_size, embed_size)
        if attention == "additive":
            self.attention = nn.AdditiveAttention(H, H, attention_size or H)
        elif attention == "general":
            self.attention = nn.GeneralAttention(H, H)
        else:
            self.attention = nn.DotProductAttention()
        self.decoder = nn.ModuleList([nn.LSTMCell((embed_size if k == 1 else H) + H, H)
                                      for k in range(1, decoder_layers + 1)])
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(H, tgt_vocab_size)

    @property
    def attends(self):
        return True

    def encode(self, src, src_lengths=None):
        """→ annotations x (N, S, H), the top encoder layer's outputs, and the decoder's zero
        initial state."""
        _check_tokens("src", src)
        x, _ = self.encoder[0](self.src_embed(src), lengths=src_lengths)    # (N, S, 2H)
        for k, layer in enumerate(self.encoder[1:], start=2):
            y, _ = layer(self.dropout(x), lengths=src_lengths)               # (N, S, H)
            x = y + x if k >= self.residual_start else y
        state = tuple(zeros(src.shape[0], self.hidden_size, dtype=x.dtype)
                      for _ in range(2 * len(self.decoder)))
        return x, state

    def step(self, y_prev, state, h, src_lengths=None):
        """One decoder step: previous tokens (N,) → logits (N, V), new state, p (N, S)."""
        a, alpha = self.attention(state[0], h, lengths=src_lengths)   # from y^(i−1) = h¹_{i−1}
        x, new = self.tgt_embed(y_prev), []
        for k, cell in enumerate(self.decoder, start=1):
            h_l, c_l = cell(cat([x, a], 1), state[2 * k - 2:2 * k])     # a_i to every layer
            new += [h_l, c_l]
            x = h_l + x if k >= self.residual_start else h_l
            x = self.dropout(x)
        return self.out(x), tuple(new), alpha


@register("gnmt")
def gnmt(src_vocab_size=10000, tgt_vocab_size=10000, **kwargs):
    """GNMT-shaped translator (Wu et al. 2016 Fig. 1), 3 + 3 LSTM layers of 64 by default."""
    return GNMT(src_vocab_size, tgt_vocab_size, **kwargs)
