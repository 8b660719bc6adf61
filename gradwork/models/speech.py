"""Spoken-word recognition on MFCC frames (deck 004): sequence classification — a whole
utterance → one label — and temporal classification with CTC — an utterance → a label
sequence without alignment (Graves et al. 2006), decoded greedily or by prefix beam search.

Inputs are feature frames (N, T, C) (e.g. `data.fsdd.MFCCFeatures`: 13 MFCCs + Δ + ΔΔ);
`lengths` (N,) marks the real frames of a padded batch.
"""
import math

from .. import backend, nn
from ..autograd import Tensor
from ..backend import np
from ..errors import check_choice, check_positive_int
from ..ops import log_softmax, transpose
from .registry import register

_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


def _masked_mean(x, lengths):
    """Mean over the time axis 1 of x (N, T, H), over the first lengths[i] steps of row i."""
    if lengths is None:
        return x.mean(dim=1)
    xp = backend.array_module(x._data)
    L = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    L = xp.asarray(L)                                   # on x's device
    mask = (xp.arange(x.shape[1])[None, :] < L[:, None]).astype(x.dtype)   # (N, T)
    return (x * Tensor(mask[:, :, None])).sum(dim=1) / Tensor(L[:, None].astype(x.dtype))


class SpokenDigitRNN(nn.Module):
    """MFCC frames (N, T, C) → bidirectional GRU/LSTM → mean over time → Linear → logits.
    Averaging the recurrent states over the utterance (rather than reading the last one) lets
    padding and the word's position in its window matter less."""

    def __init__(self, num_classes=10, in_channels=39, hidden_size=64, num_layers=2,
                 cell="gru", dropout=0.1):
        super().__init__()
        check_choice("SpokenDigitRNN", "cell", cell, tuple(_CELLS))
        check_positive_int("SpokenDigitRNN", "num_classes", num_classes)
        self.rnn = _CELLS[cell](in_channels, hidden_size, num_layers, batch_first=True,
                                dropout=dropout, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x, lengths=None):
        out, _ = self.rnn(x, lengths=lengths)                        # (N, T, 2H)
        return self.fc(self.dropout(_masked_mean(out, lengths)))


@register("digit_gru")
def digit_gru(num_classes=10, in_channels=39, **kwargs):
    """Spoken-digit classifier: 2-layer bidirectional GRU (64 units) over MFCC frames."""
    return SpokenDigitRNN(num_classes, in_channels, cell="gru", **kwargs)


@register("digit_lstm")
def digit_lstm(num_classes=10, in_channels=39, **kwargs):
    """Spoken-digit classifier: 2-layer bidirectional LSTM (64 units) over MFCC frames."""
    return SpokenDigitRNN(num_classes, in_channels, cell="lstm", **kwargs)


class SpokenDigitCTC(nn.Module):
    """MFCC frames (N, T, C) → bidirectional GRU → per-frame log-probabilities (T, N, K + 1)
    over the K labels and the blank (index 0; label k is class k + 1), CTCLoss's layout."""

    def __init__(self, num_classes=10, in_channels=39, hidden_size=96, num_layers=2,
                 dropout=0.1):
        super().__init__()
        self.rnn = nn.GRU(in_channels, hidden_size, num_layers, batch_first=True,
                          dropout=dropout, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_size, num_classes + 1)

    def forward(self, x, lengths=None):
        out, _ = self.rnn(x, lengths=lengths)                        # (N, T, 2H)
        return log_softmax(transpose(self.fc(out), 0, 1), dim=-1)    # (T, N, K + 1)


def ctc_greedy_decode(log_probs, lengths=None, blank=0):
    """Best path: the most probable label per frame, repeats merged, blanks removed.
    log_probs (T, N, C) → a list of N label lists (labels as the model's indices)."""
    lp = log_probs.numpy() if isinstance(log_probs, Tensor) else np.asarray(log_probs)
    T, N = lp.shape[:2]
    L = np.full(N, T) if lengths is None else np.asarray(
        lengths.numpy() if isinstance(lengths, Tensor) else lengths)
    best = lp.argmax(-1)                                             # (T, N)
    out = []
    for n in range(N):
        path = best[:L[n], n]
        keep = np.r_[True, path[1:] != path[:-1]] & (path != blank)
        out.append([int(c) for c in path[keep]])
    return out


def _logadd(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi = max(a, b)
    return hi + math.log1p(math.exp(-abs(a - b)))


def ctc_beam_search(log_probs, lengths=None, beam_size=8, blank=0):
    """CTC prefix beam search (Hannun et al. 2014, §2; Graves 2012, §7.5): keeps the
    `beam_size` most probable label prefixes, each with the probability of its alignments
    ending in a blank (p_b) and in its last label (p_nb), summed over all paths that collapse
    to it. log_probs (T, N, C) → a list of N label lists (the best prefix of each)."""
    check_positive_int("ctc_beam_search", "beam_size", beam_size)
    lp = log_probs.numpy() if isinstance(log_probs, Tensor) else np.asarray(log_probs)
    T, N = lp.shape[:2]
    L = np.full(N, T) if lengths is None else np.asarray(
        lengths.numpy() if isinstance(lengths, Tensor) else lengths)
    return [_beam_one(lp[:L[n], n].astype(np.float64), beam_size, blank) for n in range(N)]


def _add(beams, prefix, pb, pnb):
    """Accumulate the probabilities (log p_b, log p_nb) of `prefix` into `beams`."""
    ob, onb = beams.get(prefix, (-math.inf, -math.inf))
    beams[prefix] = (_logadd(ob, pb), _logadd(onb, pnb))


def _beam_one(lp, beam_size, blank):
    beams = {(): (0.0, -math.inf)}                                   # prefix → (log p_b, p_nb)
    for t in range(lp.shape[0]):
        row, nxt = lp[t], {}
        for prefix, (pb, pnb) in beams.items():
            total = _logadd(pb, pnb)
            _add(nxt, prefix, total + row[blank], -math.inf)         # stay: a blank
            if prefix:                                               # stay: repeat last label
                _add(nxt, prefix, -math.inf, pnb + row[prefix[-1]])
            for c in range(lp.shape[1]):
                if c == blank:
                    continue
                # a repeated label needs a blank in between (only p_b extends)
                p = (pb if prefix and prefix[-1] == c else total) + row[c]
                _add(nxt, prefix + (c,), -math.inf, p)
        beams = dict(sorted(nxt.items(), key=lambda kv: -_logadd(*kv[1]))[:beam_size])
    best = max(beams.items(), key=lambda kv: _logadd(*kv[1]))[0]
    return list(best)


def edit_distance(hypothesis, reference):
    """Levenshtein distance: the fewest substitutions, deletions and insertions that turn
    `hypothesis` into `reference`, by the dynamic programme
    d(i, j) = min(d(i−1, j) + 1, d(i, j−1) + 1, d(i−1, j−1) + [h_i ≠ r_j]), one row at a time."""
    h, r = [int(v) for v in hypothesis], [int(v) for v in reference]
    d = list(range(len(r) + 1))
    for i, a in enumerate(h, 1):
        prev, d[0] = d[0], i
        for j, b in enumerate(r, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (a != b))
    return d[len(r)]


def label_error_rate(hypotheses, references):
    """Σ edit distance(hyp, ref) / Σ |ref| (Graves et al. 2006, §5.1)."""
    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(f"label_error_rate: one hypothesis per reference expected, got "
                         f"{len(hypotheses)} hypotheses and {len(references)} references")
    errors = sum(edit_distance(h, r) for h, r in zip(hypotheses, references))
    return errors / max(sum(len(r) for r in references), 1)
