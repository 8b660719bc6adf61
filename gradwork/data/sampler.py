"""Samplers, PyTorch's `torch.utils.data` ones: which indices a DataLoader visits, in which
order, and how they are grouped into batches.

Randomness comes from `generator` (a `numpy.random.Generator`, or any object with the same
`integers` method); without one, each pass draws a fresh seed from gradwork's global
generator, so `gradwork.manual_seed` repeats runs, as `torch.manual_seed` does in PyTorch.
"""
from .. import backend
from ..backend import np
from ..distributed import process_group
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


class DistributedSampler(Sampler):
    """The indices one of `num_replicas` data-parallel ranks visits, PyTorch's semantics: the
    (optionally shuffled, seeded by seed and epoch, the same order on every rank) indices,
    padded by repeating from the start to a multiple of num_replicas — or, with `drop_last`,
    cut to one — and interleaved: rank r takes positions r, r + R, r + 2R, ...; each rank gets
    ceil(n / R) indices (floor with drop_last). Call `set_epoch(e)` before each epoch for a
    new shuffle. The permutation is NumPy's (PyTorch's draws its own), the rest is exact: it
    is a `DataLoader(shuffle=True, seed=seed)`'s epoch order, so with R ranks taking batches of
    B/R, global batch k holds the samples of that loader's batch k of B, whatever R.
    `num_replicas` and `rank` default to the default process group's (gradwork.distributed)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            if not process_group.is_initialized():
                raise ArgumentError("DistributedSampler: pass num_replicas and rank, or call "
                                    "gradwork.distributed.init_process_group() first")
            num_replicas = process_group.get_world_size() if num_replicas is None else num_replicas
            rank = process_group.get_rank() if rank is None else rank
        check_positive_int("DistributedSampler", "num_replicas", num_replicas)
        if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < num_replicas:
            raise ArgumentError(f"DistributedSampler: Invalid rank {rank!r}, rank should be in "
                                f"the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = -(-(n - num_replicas) // num_replicas)
        else:
            self.num_samples = -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        """The epoch whose shuffle to draw (seed + epoch): every rank must call it alike."""
        self.epoch = epoch

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng([self.seed, self.epoch, 0]).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            pad = self.total_size - n
            repeats = -(-pad // n) if n else 0
            indices += (indices * repeats)[:pad]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples
