"""Character-level text for language modelling: reading a UTF-8 file, its vocabulary, and the
batches of truncated back-propagation through time (BPTT).

    text = read_text(path)                       # or read_text() for the bundled text
    vocab = CharVocabulary.from_text(text)
    train = BPTTBatches(vocab.encode(text), batch_size=32, bptt=64)
    for x, y in train: ...                       # (32, ≤64) ids and the next characters

`BPTTBatches` cuts the text into `batch_size` contiguous streams (row i is the i-th slice of
the text, as PyTorch's word_language_model `batchify`) and walks them in windows of `bptt`
steps: window k is x = s[:, kT : kT + T], y = s[:, kT + 1 : kT + T + 1], so the hidden state
a model ends window k with is the right one to start window k + 1 (Williams & Peng 1990;
Sutskever 2013, §4.2: truncated BPTT). Data-parallel over K ranks, `batch_size` is the
global N and rank r reads streams [r·N/K, (r + 1)·N/K) of the same (N, L) layout, so the K
ranks' windows together are one process's.
"""
import os

from ..autograd import Tensor
from ..backend import np
from ..errors import ArgumentError, DataFormatError, check_positive_int, plural

BUNDLED_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "texts",
                            "devils_dictionary.txt")


def read_text(path=None):
    """The text of the UTF-8 file `path` (None: the bundled public-domain text, see
    data/texts/README.md). An empty, binary (NUL bytes) or non-UTF-8 file is refused with a
    `DataFormatError` that names the file and where it went wrong."""
    path = BUNDLED_TEXT if path is None else os.fspath(path)
    if os.path.isdir(path):
        raise ArgumentError(f"{path} is a folder; a language model trains on one text file "
                            "(--data-dir FILE.txt)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no text file {path}")
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise DataFormatError(f"{path}: the file is empty{' (whitespace only)' if raw else ''}: "
                              "there is no text to learn from")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataFormatError(f"{path}: not a text file (a NUL byte at offset {nul}: binary "
                              "data); give a UTF-8 text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataFormatError(f"{path}: not UTF-8 (byte {raw[e.start]:#04x} at offset {e.start}, "
                              f"line {line}: {e.reason}); convert it, e.g. `iconv -f latin1 "
                              "-t utf-8`") from None
    return text[1:] if text.startswith("\ufeff") else text        # a byte-order mark


class CharVocabulary:
    """The distinct characters of a text, sorted (so a text always gives the same ids):
    `encode(str) → int64 ids`, `decode(ids) → str`, `len()` = the model's vocabulary size."""

    def __init__(self, chars):
        chars = list(chars)
        if not chars or any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ArgumentError(f"CharVocabulary: chars must be a non-empty list of single "
                                f"characters, got {chars[:10]!r}")
        if len(set(chars)) != len(chars):
            raise ArgumentError("CharVocabulary: chars must be distinct")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text):
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def __eq__(self, other):
        return isinstance(other, CharVocabulary) and self.chars == other.chars

    def encode(self, text):
        """(len(text),) int64 ids; a character outside the vocabulary → ArgumentError."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ArgumentError(f"the text has {plural(len(unknown), 'character')} outside the "
                                f"vocabulary of {len(self)}: {''.join(unknown[:20])!r}")
        return np.fromiter((self.index[c] for c in text), np.int64, count=len(text))

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in np.asarray(ids).reshape(-1))


class BPTTBatches:
    """Windows (x, y) of `bptt` steps over `batch_size` contiguous streams of `ids`; the last
    window of an epoch may be shorter. The order is fixed (the streams are what carries the
    state), so the state to resume is the window index: `state_dict()` = {"seed", "epoch",
    "batch"}, the `DataLoader`'s keys. Iterating again after an epoch was left unfinished
    starts the next epoch, unless `load_state_dict` put it mid-epoch (a resumed run).

    num_replicas / rank (data-parallel, as `DistributedSampler`'s; default: the whole batch):
    `batch_size` is the global number of streams N, a multiple of `num_replicas` K, and this
    rank's windows are rows `streams_of_rank` = [rank·N/K, (rank + 1)·N/K) of the global
    layout."""

    def __init__(self, ids, batch_size, bptt, num_replicas=1, rank=0):
        check_positive_int("BPTTBatches", "batch_size", batch_size)
        check_positive_int("BPTTBatches", "bptt", bptt)
        check_positive_int("BPTTBatches", "num_replicas", num_replicas)
        if not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ArgumentError(f"BPTTBatches: rank must be an integer in [0, {num_replicas}) "
                                f"(num_replicas {num_replicas}), got {rank!r}")
        if batch_size % num_replicas:
            raise ArgumentError(f"--batch-size {batch_size} is the global batch: it must be "
                                f"a multiple of the {num_replicas} ranks")
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        need = batch_size * (bptt + 1)
        if len(ids) < need:
            raise ArgumentError(
                f"the text is too short for one window: {plural(len(ids), 'character')}, and "
                f"{batch_size} streams (batch_size) of bptt + 1 = {bptt + 1} characters need "
                f"{need}; use a smaller --batch-size or --bptt, or a longer text")
        L, n = len(ids) // batch_size, batch_size // num_replicas
        self.streams_of_rank = slice(rank * n, (rank + 1) * n)
        self.streams = ids[:L * batch_size].reshape(batch_size, L)[self.streams_of_rank]
        self.batch_size, self.bptt = batch_size, bptt               # (n, L): row i contiguous
        self.seed, self._epoch, self._batch, self._resumed = 0, 0, 0, False

    def __len__(self):
        return -(-(self.streams.shape[1] - 1) // self.bptt)         # ⌈(L − 1) / T⌉

    @property
    def num_tokens(self):
        """Characters predicted in one epoch (by this rank): n · (L − 1)."""
        return self.streams.shape[0] * (self.streams.shape[1] - 1)

    def window(self, k):
        """(x, y) int64 Tensors (n, T_k) of window k (n = N / num_replicas streams)."""
        i = k * self.bptt
        T = min(self.bptt, self.streams.shape[1] - 1 - i)
        return Tensor(self.streams[:, i:i + T]), Tensor(self.streams[:, i + 1:i + 1 + T])

    def state_dict(self):
        return {"seed": self.seed, "epoch": self._epoch, "batch": self._batch}

    def load_state_dict(self, state):
        self._epoch, self._batch = int(state["epoch"]), int(state["batch"])
        self._resumed = self._batch > 0

    def __iter__(self):
        if self._batch and not self._resumed:      # an abandoned epoch: start the next one
            self._epoch, self._batch = self._epoch + 1, 0
        self._resumed = False
        return _Windows(self, self._epoch, self._batch)


class _Windows:
    """One epoch's windows from `start`; keeps the owner's position (as the DataLoader's
    iterator does, so the trainer's mid-epoch checkpoints and `len()` work unchanged)."""

    def __init__(self, owner, epoch, start):
        self.owner, self.epoch, self.next = owner, epoch, start

    def __iter__(self):
        return self

    def __next__(self):
        if self.next >= len(self.owner):
            self.owner._epoch, self.owner._batch = self.epoch + 1, 0
            raise StopIteration
        batch = self.owner.window(self.next)
        self.next += 1
        self.owner._epoch, self.owner._batch = self.epoch, self.next
        return batch

    def __len__(self):
        return len(self.owner) - self.next

    def close(self):
        pass


def split_text(ids, val_fraction):
    """(train ids, validation ids): the last `val_fraction` of the text (by position) is held
    out, so validation measures text the model has not seen (0: no validation part)."""
    ids = np.asarray(ids)
    n_val = int(round(val_fraction * len(ids)))
    return ids[:len(ids) - n_val], ids[len(ids) - n_val:]
