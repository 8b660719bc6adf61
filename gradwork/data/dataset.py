"""`Dataset` and its plain compositions: `TensorDataset`, `Subset`, `random_split`, and
`ArrayDataset`, the base of the image readers (a uint8 array of samples plus labels).

A dataset maps an index to a sample (usually `(x, y)`). `get_batch(indices)` returns a whole
batch already collated; the default stacks `self[i]`, and array-backed datasets override it
to index and transform the batch in one vectorised step (that is the loader's fast path).
"""
from .. import backend
from ..autograd import Tensor
from ..backend import np
from .collate import default_collate
from .transforms import ToTensor


class Dataset:
    """Base class: subclasses define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} has no __len__")

    def get_batch(self, indices):
        """The samples at `indices`, collated into a batch."""
        return default_collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors (arrays), which share their first size."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        arrays = [t._data if isinstance(t, Tensor) else backend.asarray(t) for t in tensors]
        sizes = [a.shape[0] if a.ndim else None for a in arrays]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: tensors must share their first dimension, got "
                             f"shapes {[tuple(a.shape) for a in arrays]}")
        self.tensors = arrays

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def get_batch(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        return [Tensor(a[idx]) for a in self.tensors]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]
        n = len(dataset)
        bad = [i for i in self.indices if not -n <= i < n]
        if bad:
            raise IndexError(f"Subset: indices must be in [0, {n}), got {bad[:5]}")

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices):
        inner = [self.indices[int(i)] for i in indices]
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(inner)
        return default_collate([self.dataset[i] for i in inner])


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping `Subset`s of the given lengths (or fractions that
    sum to 1), drawing the permutation from `generator` (default: gradwork's global one)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1) < 1e-6:
        counts = [int(x * n) for x in lengths]
        for i in range(n - sum(counts)):  # PyTorch hands the remainder out round-robin
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be non-negative ints summing to the "
                         f"dataset's length {n} (or fractions summing to 1), got {lengths}")
    gen = generator if generator is not None else backend.generator()
    perm = gen.permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + int(length)]))
        start += int(length)
    return out


class ArrayDataset(Dataset):
    """Images held in one uint8 array (N, H, W) or (N, H, W, C) with integer labels (N,).

    `transform` maps an image (or, in `get_batch`, a batch with a leading N) to an array;
    without one, samples are float32 CHW in [0, 1] (`ToTensor`'s output).
    """

    def __init__(self, data, targets, transform=None, classes=None, source="data"):
        data, targets = np.asarray(data), np.asarray(targets)
        if data.ndim not in (3, 4):
            raise ValueError(f"{source}: images must be (N, H, W) or (N, H, W, C), got shape "
                             f"{data.shape}")
        if targets.shape != (data.shape[0],):
            raise ValueError(f"{source}: {data.shape[0]} images but labels of shape "
                             f"{targets.shape}")
        self.data, self.targets = data, targets.astype(np.int64)
        self.transform = transform
        self.classes = list(classes) if classes is not None else \
            [str(c) for c in range(int(self.targets.max()) + 1 if len(self.targets) else 0)]

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        transform = self.transform or ToTensor()
        return Tensor(transform(self.data[index])), Tensor(self.targets[index])

    def get_batch(self, indices):
        transform = self.transform or ToTensor()
        idx = np.asarray(indices, dtype=np.int64)
        return [Tensor(transform.apply_batch(self.data[idx])), Tensor(self.targets[idx])]

    def __repr__(self):
        return (f"{type(self).__name__}({len(self)} samples, image shape "
                f"{tuple(self.data.shape[1:])}, {len(self.classes)} classes)")
