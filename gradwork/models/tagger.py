"""Segment classification (deck 004; Graves 2012, Fig. 2.3): a recurrent tagger that labels
every time step.

    e_t = E[x_t],  →h_t = LSTM(e_1..e_t),  ←h_t = LSTM(e_T..e_t),
    p(y_t | x_1..x_T) = softmax(W [→h_t; ←h_t] + b)

A bidirectional LSTM (Schuster & Paliwal 1997; Graves & Schmidhuber 2005, framewise phoneme
classification) gives each frame's classifier the context on both sides; with
`bidirectional=False` it sees only the past, the baseline that shows why that matters.
Sequences are right-padded with `padding_idx`; the real lengths (read from the padding, or
given) keep the backward direction from starting on padding.
"""
from .. import nn
from ..autograd import Tensor
from ..backend import np
from ..errors import check_positive_int
from .registry import register


class BiLSTMTagger(nn.Module):
    """ids (N, T) int64 → per-frame logits (N, T, num_classes): Embedding → (bi)LSTM → Linear.
    `lengths` (N,): real frames per row (default: the frames before the first `padding_idx`)."""

    def __init__(self, num_classes=4, vocab_size=9, embedding_dim=16, hidden_size=64,
                 num_layers=1, bidirectional=True, dropout=0.0, padding_idx=0):
        super().__init__()
        check_positive_int("BiLSTMTagger", "num_classes", num_classes)
        self.padding_idx = padding_idx
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.rnn = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                           dropout=dropout, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x, lengths=None):
        if lengths is None:
            ids = x.cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)   # lengths: host
            real = ids != self.padding_idx                                   # (N, T)
            lengths = np.where(real.all(1), ids.shape[1], real.argmin(1))    # first pad
            lengths = np.maximum(lengths, 1)                 # an all-padding row: one frame
        out, _ = self.rnn(self.embedding(x), lengths=lengths)               # (N, T, D·H)
        return self.fc(self.dropout(out))                                    # (N, T, C)


@register("bilstm_tagger")
def bilstm_tagger(num_classes=4, vocab_size=9, **kwargs):
    """Framewise tagger: embedding 16 → bidirectional LSTM of 64 per direction → per-frame
    softmax (`bidirectional=False`: the left-to-right baseline). `gradwork train bilstm_tagger`
    trains it on the context-tagging task (data/tagging.py)."""
    return BiLSTMTagger(num_classes, vocab_size, **kwargs)
