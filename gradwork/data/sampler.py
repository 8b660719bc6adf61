"""Samplers, PyTorch's `torch.utils.data` ones: which indices a DataLoader visits, in which
order, and how they are grouped into batches.

Randomness comes from `generator` (a `numpy.random.Generator`, or any object with the same
`integers` method); without one, each pass draws a fresh seed from gradwork's global
generator, so `gradwork.manual_seed` repeats runs, as `torch.manual_seed` does in PyTorch.
"""
from .. import backend
from ..backend import np
from ..errors import ArgumentError, check_positive_int


def _rng(generator):
    """A numpy Generator for one pass: seeded from `generator`, or from the global one."""
    source = generator if generator is not None else backend.generator()
    if not hasattr(source, "integers"):
        raise ArgumentError(f"sampler: generator must be a numpy.random.Generator, got "
                            f"{type(source).__name__}")
    return np.random.default_rng(int(source.integers(2 ** 63)))


class Sampler:
    """Base class: `__iter__` yields dataset indices, `__len__` says how many."""

    def __iter__(self):  # pragma: no cover - interface
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each pass; with `replacement`, `num_samples` uniform draws (as
    PyTorch, drawn in chunks of 32). `num_samples` beyond the dataset's length without
    replacement repeats whole permutations."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise ArgumentError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if num_samples is not None:
            check_positive_int("RandomSampler", "num_samples", num_samples)
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        full, rest = divmod(self.num_samples, n)
        parts = [rng.permutation(n) for _ in range(full)] + [rng.permutation(n)[:rest]]
        return iter(np.concatenate(parts).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices`, in a random order each pass (no replacement)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        order = _rng(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability ∝ `weights` (with or without
    replacement) — e.g. to rebalance classes."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ArgumentError(f"WeightedRandomSampler: replacement must be a bool, got "
                                f"{replacement!r}")
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if w.ndim != 1 or not len(w) or (w < 0).any() or not np.isfinite(w).all() \
                or w.sum() <= 0:
            raise ArgumentError("WeightedRandomSampler: weights must be a non-empty 1-d "
                                "sequence of finite non-negative numbers with a positive sum, "
                                f"got {weights!r}")
        if not replacement and num_samples > int((w > 0).sum()):
            raise ArgumentError(f"WeightedRandomSampler: num_samples ({num_samples}) cannot "
                                f"exceed the number of non-zero weights ({int((w > 0).sum())}) "
                                "without replacement")
        self.weights, self.num_samples = w, num_samples
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        draws = _rng(self.generator).choice(len(p), self.num_samples, self.replacement, p)
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of `sampler` into lists of `batch_size` (the last one shorter unless
    `drop_last`)."""

    def __init__(self, sampler, batch_size, drop_last):
        check_positive_int("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ArgumentError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
