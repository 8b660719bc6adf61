import os

import numpy as np
import pytest

from gradwork.data import DataLoader, load_dataset
from gradwork.data.fsdd import (
    FSDD,
    MFCCFeatures,
    SpokenDigitSequences,
    fit_length,
    pad_collate,
    scan_fsdd,
)
from gradwork.errors import DataFormatError

ROOT = os.path.join(os.path.dirname(__file__), "fsdd_recordings")   # 12 real recordings


def test_split_by_index():
    train, test = FSDD(ROOT, train=True), FSDD(ROOT, train=False)
    assert len(train) == len(test) == 6
    assert all(f.endswith("_5.wav") for f in train.files)
    assert all(f.endswith("_0.wav") for f in test.files)
    assert sorted(set(train.targets.tolist())) == [0, 1, 7]
    x, y = test[0]
    assert x.dtype == np.float32 and x.ndim == 1 and int(y.item()) == 0


def test_fit_length_pads_and_crops():
    w = np.arange(1, 6, dtype=np.float32)
    np.testing.assert_array_equal(fit_length(w, 9), [0, 0, 1, 2, 3, 4, 5, 0, 0])
    np.testing.assert_array_equal(fit_length(w, 8, offset=0), [1, 2, 3, 4, 5, 0, 0, 0])
    np.testing.assert_array_equal(fit_length(w, 3), [2, 3, 4])
    np.testing.assert_array_equal(fit_length(w, 3, offset=2), [3, 4, 5])


def test_fixed_length_features_stack_into_batches():
    features = MFCCFeatures()
    ds = FSDD(ROOT, train=True, length=8000, transform=features)
    features.fit([fit_length(w, 8000) for w in ds.waveforms])
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 63, 39) and y.shape == (4,)
    assert abs(float(x.numpy().mean())) < 0.5


def test_variable_length_batches():
    ds = FSDD(ROOT, train=False, transform=MFCCFeatures())
    x, lengths, _ = pad_collate([ds[i] for i in range(3)])
    L = lengths.numpy()
    assert x.shape == (3, L.max(), 39) and sorted(set(L)) == sorted(L) and L.min() > 5
    for i in range(3):
        assert not x.numpy()[i, L[i]:].any()


def test_spoken_digit_sequences():
    source = FSDD(ROOT, train=True)
    ds = SpokenDigitSequences(source, 5, MFCCFeatures(), seed=3, label_offset=1)
    x, _, y, y_lengths = ds.get_batch(range(5))
    assert set(y_lengths.numpy()) <= {2, 3} and x.shape[0] == 5
    assert set(y.numpy()[y.numpy() > 0]) <= {1, 2, 8}       # digits 0, 1, 7 shifted by one
    again = SpokenDigitSequences(source, 5, MFCCFeatures(), seed=3, label_offset=1)
    np.testing.assert_array_equal(again.get_batch(range(5))[2].numpy(), y.numpy())


def test_catalog_entry():
    train, test = load_dataset("fsdd", ROOT, augment=True)
    x, _ = train[0]
    assert x.shape == (63, 39) and len(test) == 6


def test_bad_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        scan_fsdd(str(tmp_path / "missing"))
    with pytest.raises(DataFormatError, match="no {digit}_{speaker}_{index}.wav files"):
        scan_fsdd(str(tmp_path))
