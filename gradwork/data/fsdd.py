"""The Free Spoken Digit Dataset (Jakobovski et al., github.com/Jakobovski/free-spoken-digit-
dataset; CC BY-SA 4.0): a folder of `{digit}_{speaker}_{index}.wav`, 8 kHz mono 16-bit PCM.
The conventional split: indices 0–4 of every speaker and digit are the test set, 5–49 train.

    train = FSDD(root, train=True, length=8000, transform=MFCCFeatures())

`length` pads (zeros) or crops every waveform to a fixed number of samples, so that batches
stack; without it, samples keep their lengths and `pad_collate` makes variable-length batches
(features padded to the longest, plus their lengths, for `nn.GRU(..., lengths=)`).
`SpokenDigitSequences` concatenates 2–3 recordings into a spoken digit string for CTC.
"""
import os
import re

from ..audio import delta, load_wav, mfcc
from ..autograd import Tensor
from ..backend import np
from ..errors import ArgumentError, DataFormatError, check_positive_int
from .dataset import Dataset
from .transforms import current_generator

_NAME = re.compile(r"^(\d)_([A-Za-z0-9]+)_(\d+)\.wav$")
TEST_INDICES = range(5)


def scan_fsdd(root):
    """Sorted [(path, digit, speaker, index)] of the FSDD files in `root`."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"FSDD: {root} is not a folder (pass the folder of the "
                                "{digit}_{speaker}_{index}.wav recordings)")
    found = []
    for name in sorted(os.listdir(root)):
        m = _NAME.match(name)
        if m:
            found.append((os.path.join(root, name), int(m[1]), m[2], int(m[3])))
    if not found:
        raise DataFormatError(f"FSDD: no {{digit}}_{{speaker}}_{{index}}.wav files in {root}")
    return found


def fit_length(w, length, offset=None):
    """w (T,) zero-padded or cropped to `length` samples. Shorter: placed at `offset` (None:
    centred); longer: the window starting at `offset` (None: the centre window)."""
    n = w.shape[-1]
    room = abs(length - n)
    start = room // 2 if offset is None else int(min(max(offset, 0), room))
    if n >= length:
        return w[start:start + length]
    out = np.zeros(length, w.dtype)
    out[start:start + n] = w
    return out


class MFCCFeatures:
    """Waveform (T,) → features (n_frames, n_mfcc·(1 + deltas)): MFCCs (librosa preset at
    `sr`, 32 ms frames every 16 ms by default), then Δ and ΔΔ if deltas = 2, standardised by
    `mean`/`std` (per feature; `fit` computes them on a list of waveforms)."""

    def __init__(self, sr=8000, n_mfcc=13, n_fft=256, hop_length=128, n_mels=40, deltas=2,
                 mean=None, std=None):
        self.kwargs = dict(sr=sr, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length,
                           n_mels=n_mels)
        self.deltas = deltas
        self.num_features = n_mfcc * (1 + deltas)
        self.mean, self.std = mean, std

    def raw(self, w):
        m = mfcc(np.asarray(w, np.float32), **self.kwargs)            # (n_mfcc, F)
        F = m.shape[-1]
        width = min(9, F if F % 2 else F - 1)                         # odd, at most F
        parts = [m] + [delta(m, width=width, order=k)
                       for k in range(1, self.deltas + 1)]
        return np.concatenate(parts, axis=0).T                       # (F, features)

    def fit(self, waveforms):
        feats = np.concatenate([self.raw(w) for w in waveforms], axis=0)
        self.mean, self.std = feats.mean(0), feats.std(0) + 1e-5
        return self

    def __call__(self, w):
        f = self.raw(w)
        if self.mean is not None:
            f = (f - self.mean) / self.std
        return f.astype(np.float32)


class FSDD(Dataset):
    """(features or waveform, digit) pairs of one split. random_offset: place (or crop) each
    waveform at a random offset within `length` (augmentation; else centred)."""

    def __init__(self, root, train=True, transform=None, length=None, random_offset=False,
                 speakers=None):
        files = [f for f in scan_fsdd(root) if (f[3] not in TEST_INDICES) == bool(train)]
        if speakers is not None:
            files = [f for f in files if f[2] in set(speakers)]
        if length is not None:
            check_positive_int("FSDD", "length", length)
        self.root, self.train, self.transform, self.length = root, train, transform, length
        self.random_offset = random_offset
        self.files = [f[0] for f in files]
        self.targets = np.array([f[1] for f in files], np.int64)
        self.speakers = [f[2] for f in files]
        self.waveforms = [self._read(path) for path in self.files]
        self.classes = [str(d) for d in range(10)]

    @staticmethod
    def _read(path):
        data, sr = load_wav(path)
        if sr != 8000:
            raise DataFormatError(f"{path}: FSDD recordings are 8000 Hz, got {sr} Hz")
        return data.mean(axis=0)

    def waveform(self, index):
        """The (padded/cropped) waveform of sample `index`."""
        w = self.waveforms[index]
        if self.length is None:
            return w
        offset = None
        if self.random_offset:
            offset = int(current_generator().integers(0, abs(self.length - w.shape[0]) + 1))
        return fit_length(w, self.length, offset)

    def __getitem__(self, index):
        x = self.waveform(index)
        if self.transform is not None:
            x = self.transform(x)
        return Tensor(x), Tensor(self.targets[index])

    def __len__(self):
        return len(self.files)

    def __repr__(self):
        return (f"FSDD({len(self)} {'train' if self.train else 'test'} recordings from "
                f"{self.root})")


def pad_collate(batch):
    """[(x (T_i, ...), y)] → [x (N, max T, ...) zero-padded, lengths (N,) int64, y]; y is
    stacked, or, for sequences (S_j,), padded with 0 and followed by their lengths."""
    xs = [b[0]._data if isinstance(b[0], Tensor) else np.asarray(b[0]) for b in batch]
    ys = [b[1]._data if isinstance(b[1], Tensor) else np.asarray(b[1]) for b in batch]
    out = [Tensor(_pad_stack(xs)), Tensor(np.array([x.shape[0] for x in xs], np.int64))]
    if ys[0].ndim == 0:
        return out + [Tensor(np.stack(ys))]
    return out + [Tensor(_pad_stack(ys)), Tensor(np.array([len(y) for y in ys], np.int64))]


def _pad_stack(arrays):
    T = max(a.shape[0] for a in arrays)
    out = np.zeros((len(arrays), T, *arrays[0].shape[1:]), arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[i, :a.shape[0]] = a
    return out


class SpokenDigitSequences(Dataset):
    """Spoken digit strings for CTC (Graves et al. 2006): each sample concatenates 2–3 random
    recordings of `source` (an FSDD without `length`) with 50–150 ms of silence between them;
    (features (T, C), digits + label_offset (S,) int64; offset 1 leaves 0 to CTC's blank).
    Drawn once from `seed`, so the set is fixed."""

    def __init__(self, source, num_samples, transform, min_digits=2, max_digits=3, seed=0,
                 label_offset=0):
        check_positive_int("SpokenDigitSequences", "num_samples", num_samples)
        if not 1 <= min_digits <= max_digits:
            raise ArgumentError(f"SpokenDigitSequences: need 1 <= min_digits <= max_digits, "
                                f"got {min_digits} and {max_digits}")
        rng = np.random.default_rng(seed)
        self.transform, self.features, self.labels = transform, [], []
        for _ in range(num_samples):
            picks = rng.integers(0, len(source), rng.integers(min_digits, max_digits + 1))
            pieces = []
            for i in picks:
                pieces += [source.waveforms[i], np.zeros(int(rng.integers(400, 1200)), np.float32)]
            self.features.append(transform(np.concatenate(pieces[:-1])))
            self.labels.append(source.targets[picks] + label_offset)

    def __getitem__(self, index):
        return Tensor(self.features[index]), Tensor(self.labels[index])

    def __len__(self):
        return len(self.features)

    def get_batch(self, indices):
        return pad_collate([self[int(i)] for i in indices])
