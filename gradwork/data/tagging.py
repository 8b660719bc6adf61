"""A framewise sequence-labelling task where context on both sides decides each label (deck 004
Fig. 2.3 after Graves 2012, "importance of context in segment classification").

`ContextTagging`: sequences of symbols 1..K of lengths in [min_len, max_len], right-padded
with 0; frame t is labelled by whether its symbol also occurs earlier and later in the
sequence:

    label_t = 2 · [x_s = x_t for some s < t] + [x_s = x_t for some s > t]
            = 0 only occurrence, 1 first of several, 2 last of several, 3 in between

A left-to-right RNN has the past and can know the first bit exactly, but the second depends on
frames it has not read yet: it can only guess it from the position (the more frames are left,
the likelier a repeat), while a bidirectional RNN (Schuster & Paliwal 1997; Graves &
Schmidhuber 2005) reads both sides and can tag every frame. Padded frames have label
`IGNORE_INDEX` (-100, CrossEntropyLoss's ignore_index), so loss and accuracy count real frames
only.
"""
from ..backend import np
from ..errors import ArgumentError, check_positive_int
from .dataset import TensorDataset

IGNORE_INDEX = -100
CLASSES = ("only", "first", "last", "between")


def context_labels(x, lengths):
    """(N, T) labels of `x` (N, T) with `lengths` (N,): 2·[seen before] + [seen after] per real
    frame, IGNORE_INDEX on padding."""
    x, T = np.asarray(x), x.shape[1]
    real = np.arange(T)[None, :] < np.asarray(lengths)[:, None]             # (N, T)
    same = (x[:, :, None] == x[:, None, :]) & real[:, None, :]               # (N, t, s)
    earlier = np.tri(T, k=-1, dtype=bool)                                    # [t, s]: s < t
    before, after = (same & earlier).any(-1), (same & earlier.T).any(-1)
    return np.where(real, 2 * before + after, IGNORE_INDEX).astype(np.int64)


class ContextTagging(TensorDataset):
    """`num_samples` sequences (x int64 (N, max_len), y int64 (N, max_len)) of the task above,
    generated once from `seed`; symbols 1..`num_symbols`, 0 is padding. `lengths` (N,) holds
    each sequence's real length, and `classes` the names of the four labels."""

    classes = CLASSES

    def __init__(self, num_samples, num_symbols=8, min_len=8, max_len=20, seed=0):
        for key, v in (("num_samples", num_samples), ("num_symbols", num_symbols),
                       ("min_len", min_len), ("max_len", max_len)):
            check_positive_int("ContextTagging", key, v)
        if min_len > max_len:
            raise ArgumentError(f"ContextTagging: min_len must be ≤ max_len, got {min_len} > "
                                f"{max_len}")
        rng = np.random.default_rng(seed)
        self.lengths = rng.integers(min_len, max_len + 1, num_samples)
        x = rng.integers(1, num_symbols + 1, (num_samples, max_len)).astype(np.int64)
        x[np.arange(max_len)[None, :] >= self.lengths[:, None]] = 0          # right padding
        self.num_symbols = num_symbols
        super().__init__(x, context_labels(x, self.lengths))


def causal_accuracy_bound(num_symbols=8, min_len=8, max_len=20):
    """The best expected per-frame accuracy of any left-to-right tagger on `ContextTagging`
    (lengths uniform in [min_len, max_len]). Frame t's "seen before" bit is in its past, but
    its "seen after" bit depends on frames it has not read, independent of the past: the best
    guess is the likelier value given t alone, right with probability max(p_t, 1 − p_t), where
    p_t = E_T[1 − (1 − 1/K)^(T − 1 − t) | T > t]. Averaged over the frames that exist."""
    K, lengths = num_symbols, np.arange(min_len, max_len + 1)
    weight = right = 0.0
    for t in range(max_len):
        alive = lengths[lengths > t]                 # the lengths in which frame t exists
        p = float(np.mean(1 - (1 - 1 / K) ** (alive - 1 - t)))
        weight += len(alive)
        right += len(alive) * max(p, 1 - p)
    return right / weight
