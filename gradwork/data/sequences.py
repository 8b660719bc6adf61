"""Synthetic sequence tasks for the recurrent models of deck 004 (long-range memory, counting).

Each task is a `TensorDataset` generated once from `seed` (so it is the same every run),
samples batch-first: a batch is (N, T, ...); transpose to (T, N, ...) for `batch_first=False`
layers. Token sequences are int64 ids (feed them to `nn.Embedding` or one-hot them).
"""
from ..backend import np
from ..errors import check_positive_int
from .dataset import TensorDataset


def _check(name, **values):
    for key, v in values.items():
        check_positive_int(name, key, v)


class AddingProblem(TensorDataset):
    """Adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015). x: (T, 2), channel 0
    uniform values in [0, 1), channel 1 a marker that is 1 at two places (one in each half);
    y: (1,) the sum of the two marked values. Predicting 1 gives MSE ≈ 0.167."""

    def __init__(self, num_samples, seq_len=50, seed=0):
        _check("AddingProblem", num_samples=num_samples, seq_len=seq_len)
        if seq_len < 2:
            raise ValueError(f"AddingProblem: seq_len must be ≥ 2, got {seq_len}")
        rng = np.random.default_rng(seed)
        values = rng.random((num_samples, seq_len), dtype=np.float32)
        half = seq_len // 2
        first = rng.integers(0, half, num_samples)
        second = rng.integers(half, seq_len, num_samples)
        markers = np.zeros((num_samples, seq_len), np.float32)
        rows = np.arange(num_samples)
        markers[rows, first] = markers[rows, second] = 1
        x = np.stack([values, markers], axis=-1)                     # (N, T, 2)
        y = (values[rows, first] + values[rows, second])[:, None]   # (N, 1)
        super().__init__(x, y)


class CopyMemory(TensorDataset):
    """Copy memory (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016). Input (L,) with
    L = delay + 2·copy_len: `copy_len` symbols from 1..num_symbols, `delay − 1` blanks (0),
    the delimiter `num_symbols + 1`, `copy_len` blanks. Target (L,): blanks, then the symbols
    in the last `copy_len` steps. Vocabulary size num_symbols + 2; the memoryless baseline's
    cross-entropy is copy_len·ln(num_symbols)/L."""

    def __init__(self, num_samples, delay=100, copy_len=10, num_symbols=8, seed=0):
        _check("CopyMemory", num_samples=num_samples, delay=delay, copy_len=copy_len,
               num_symbols=num_symbols)
        rng = np.random.default_rng(seed)
        length = delay + 2 * copy_len
        symbols = rng.integers(1, num_symbols + 1, (num_samples, copy_len))
        x = np.zeros((num_samples, length), np.int64)
        y = np.zeros((num_samples, length), np.int64)
        x[:, :copy_len] = symbols
        x[:, copy_len + delay - 1] = num_symbols + 1
        y[:, -copy_len:] = symbols
        super().__init__(x, y)


class AnBn(TensorDataset):
    """Counting: is the string aⁿbⁿ? (Gers & Schmidhuber 2001; Weiss et al. 2018, deck 004.)
    Half the samples are aⁿbⁿ (label 1), half aⁿbᵐ with m ≠ n (label 0),
    1 ≤ n, m ≤ max_n.
    Tokens: 0 pad, 1 'a', 2 'b'; x (2·max_n,) left-padded so the string ends at the last
    step; y () int64."""

    def __init__(self, num_samples, max_n=10, seed=0):
        _check("AnBn", num_samples=num_samples, max_n=max_n)
        if max_n < 2:
            raise ValueError(f"AnBn: max_n must be ≥ 2 (a negative needs m ≠ n), got {max_n}")
        rng = np.random.default_rng(seed)
        n = rng.integers(1, max_n + 1, num_samples)
        label = (np.arange(num_samples) % 2 == 0).astype(np.int64)
        shift = rng.integers(1, max_n, num_samples)                  # m = n + shift (mod max_n)
        m = np.where(label == 1, n, (n - 1 + shift) % max_n + 1)
        length = 2 * max_n
        pos = np.arange(length)[None, :]
        start = (length - n - m)[:, None]
        x = np.where(pos < start, 0, np.where(pos < start + n[:, None], 1, 2)).astype(np.int64)
        perm = rng.permutation(num_samples)
        super().__init__(x[perm], label[perm])


class SequenceReversal(TensorDataset):
    """Reverse a sequence (Sutskever et al. 2014's observation on reversed inputs): x (L,)
    tokens from 1..num_symbols, y (L,) the same tokens in reverse order (0 is left free as
    a padding / start id)."""

    def __init__(self, num_samples, seq_len=10, num_symbols=10, seed=0):
        _check("SequenceReversal", num_samples=num_samples, seq_len=seq_len,
               num_symbols=num_symbols)
        rng = np.random.default_rng(seed)
        x = rng.integers(1, num_symbols + 1, (num_samples, seq_len))
        super().__init__(x, np.ascontiguousarray(x[:, ::-1]))
