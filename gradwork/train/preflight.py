"""Checks a run passes before its first step, so that it fails at once with a clear message
instead of after an epoch (or not at all: an empty data set used to "train successfully").

The run folder: it exists or can be made, it is writable, and the temp files an interrupted
write left in it are removed. The data: no empty set, labels inside the model's outputs, and
at least two classes to tell apart.
"""
import os
import tempfile

from .. import backend
from ..autograd import no_grad
from ..backend import np
from ..data import Subset, TensorDataset
from ..data.transforms import use_generator
from ..errors import ArgumentError, DataFormatError, RunFolderError, plural
from ..serialization import TEMP_PREFIX
from .checkpoint import remove_temp_files


def check_run_folder(folder):
    """Make `folder` if needed, prove it writable, and remove stale temp files; return their
    names. Raises `RunFolderError` (an `OSError` with the cause's errno) naming the folder.
    Call it only while holding the folder's run lock (the temp files may be another run's)."""
    make_run_folder(folder)
    return remove_temp_files(folder)


def make_run_folder(folder):
    """Make `folder` if needed and prove it writable, or raise `RunFolderError` naming it."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise RunFolderError(e.errno, f"cannot create the run folder {folder}: "
                             f"{e.strerror or e}; choose another output folder") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix="-probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise RunFolderError(e.errno, f"the run folder {folder} is not writable "
                             f"({e.strerror or e}); choose another output folder") from None


def check_data(model, train_loader, val_loader=None):
    """Refuse an empty training or validation set, labels outside [0, C) for a model with C
    outputs, and a training set with a single class (`DataFormatError`, `ArgumentError`)."""
    for split, loader in (("training", train_loader), ("validation", val_loader)):
        if loader is None:
            continue
        if len(loader.dataset) == 0:
            raise DataFormatError(f"the {split} set is empty (0 samples): nothing to "
                                  f"{'train' if split == 'training' else 'validate'} on")
        if len(loader) == 0:
            raise ArgumentError(f"the {split} set's {plural(len(loader.dataset), 'sample')} "
                                f"make no full batch of {loader.batch_size} (drop_last)")
    targets = {split: _labels(loader.dataset) for split, loader in
               (("training", train_loader), ("validation", val_loader)) if loader is not None}
    if targets["training"] is None:
        return                                   # not a classification set we can read
    classes = _num_outputs(model, train_loader.dataset)
    if classes is not None:
        if classes < 2:
            raise ArgumentError(f"the model has {plural(classes, 'output')}: a classifier "
                                "needs at least two classes")
        for split, y in targets.items():
            if y is not None and (y.min() < 0 or y.max() >= classes):
                first = int(np.flatnonzero((y < 0) | (y >= classes))[0])
                raise DataFormatError(
                    f"the {split} set's labels must be in [0, {classes}) for a model with "
                    f"{classes} outputs, got labels {y.min()}..{y.max()} (sample {first} has "
                    f"label {y[first]})")
    distinct = np.unique(targets["training"])
    if len(distinct) < 2:
        raise DataFormatError(f"the training set has one class (every label is {distinct[0]}): "
                              "a classifier needs at least two")


def _labels(dataset):
    """The integer labels (N,) of the datasets whose labels can be read without loading the
    samples (image sets, `TensorDataset`, a `Subset` of one); None for any other."""
    if isinstance(dataset, Subset):
        inner = _labels(dataset.dataset)
        return None if inner is None else inner[np.asarray(dataset.indices, dtype=np.int64)]
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
        y = np.asarray(dataset.tensors[-1])
    elif hasattr(dataset, "targets"):
        y = np.asarray(dataset.targets)
    else:
        return None
    return y if y.ndim == 1 and y.dtype.kind in "iu" else None


def _num_outputs(model, dataset):
    """C of the model's (N, C) output on two samples, or None for another shape. Evaluation
    mode, no gradients, and every random state put back: the run is left as it was."""
    rng, training = backend.get_rng_state(), model.training
    try:
        with no_grad(), use_generator(np.random.default_rng(0)):
            model.eval()
            x = dataset.get_batch(list(range(min(2, len(dataset)))))[0]
            first = next(iter(model.parameters()), None)
            out = model(x if first is None else x.to(first.device))   # the model's device
    finally:
        model.train(training)
        backend.set_rng_state(rng)
    return out.shape[1] if out.ndim == 2 else None
