"""Checks before the first step: the run folder (creatable, writable) and the data (not
empty, labels inside the model's outputs, at least two classes), each refused clearly."""
import errno

import numpy as np
import pytest

import gradwork as gw
from gradwork.data import DataLoader, Subset, TensorDataset
from gradwork.errors import ArgumentError, DataFormatError, RunFolderError
from gradwork.train import Trainer, preflight

from .helpers import blobs, make_run, mlp, weights


def _fit(train_set, val_set=None, classes=3, **kwargs):
    gw.manual_seed(0)
    model = mlp(classes=classes)
    opt = gw.optim.SGD(model.parameters(), lr=0.1)
    val = None if val_set is None else DataLoader(val_set, 16)
    return Trainer(model, opt, DataLoader(train_set, 16, **kwargs), val, progress=False).fit(1)


def _blobs_with_labels(labels):
    x = np.random.default_rng(0).standard_normal((len(labels), 6)).astype(np.float32)
    return TensorDataset(x, np.asarray(labels, np.int64))


def test_an_empty_training_or_validation_set_is_refused():
    empty = TensorDataset(np.zeros((0, 6), np.float32), np.zeros(0, np.int64))
    with pytest.raises(DataFormatError, match="the training set is empty"):
        _fit(empty)
    with pytest.raises(DataFormatError, match="the validation set is empty"):
        _fit(blobs(), empty)
    with pytest.raises(ArgumentError, match="10 samples make no full batch of 16"):
        _fit(Subset(blobs(), range(10)), drop_last=True)


def test_a_single_class_is_refused():
    with pytest.raises(DataFormatError, match="one class \\(every label is 2\\)"):
        _fit(_blobs_with_labels([2] * 32))
    with pytest.raises(ArgumentError, match="the model has 1 output"):
        _fit(blobs(classes=3), classes=1)


@pytest.mark.parametrize("bad", [3, -1])
def test_labels_outside_the_models_outputs_are_refused(bad):
    labels = np.arange(32) % 3
    labels[7] = bad
    with pytest.raises(DataFormatError, match=rf"training set's labels must be in \[0, 3\) for "
                       rf"a model with 3 outputs.*sample 7 has label {bad}"):
        _fit(_blobs_with_labels(labels))
    with pytest.raises(DataFormatError, match="validation set's labels must be in"):
        _fit(blobs(), Subset(_blobs_with_labels(labels), range(10)))


def test_the_check_changes_nothing():
    model, *_, train, val = make_run()
    before, state = weights(model), gw.backend.get_rng_state()
    preflight.check_data(model, train, val)
    assert model.training and gw.backend.get_rng_state() == state
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, before[k])


def test_an_unusable_run_folder_is_refused_before_training(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    model, opt, _, train, val = make_run()
    with pytest.raises(RunFolderError, match="cannot create the run folder .*file/run"):
        Trainer(model, opt, train, val, run_dir=str(blocker / "run"), progress=False).fit(1)

    def read_only(**kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(preflight.tempfile, "mkstemp", read_only)   # root ignores chmod
    trainer = Trainer(model, opt, train, val, run_dir=str(tmp_path / "ro"), progress=False)
    with pytest.raises(RunFolderError, match="ro is not writable \\(Read-only file system\\)"):
        trainer.fit(1)
    assert trainer.step == 0
