"""`DataLoader`: batches of a dataset, shuffled with a seeded generator, prepared ahead on a
background thread or, with num_workers > 0, in worker processes (gradwork/data/worker.py).

Randomness is a function of (seed, epoch, batch index) only: epoch e's order is
`default_rng([seed, e, 0]).permutation(n)` and batch k's transforms draw from
`default_rng([seed, e, 1, k])`. So the state to save for an exact resume is three integers
(`state_dict()`: seed, epoch, next batch), and which thread or process prepares a batch cannot
change it. A `sampler` or `batch_sampler` given by the user decides the order instead (drawn
once per epoch, when the epoch starts; an exact resume then needs a deterministic sampler).
"""
import functools
import multiprocessing
import queue
import threading

from .. import backend
from ..backend import np
from ..errors import ArgumentError, check_nonnegative, check_nonnegative_int, check_positive_int
from .collate import default_collate
from .transforms import use_generator
from .worker import WorkerPool

_DONE, _ERROR = object(), object()


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size`; PyTorch's arguments.

    `shuffle` (a new order every epoch), `sampler` (an iterable of indices; excludes
    shuffle), `batch_sampler` (an iterable of index lists; excludes batch_size, shuffle,
    sampler, drop_last), `drop_last` (skip a last partial batch), `collate_fn` (list of
    samples → batch; default: the dataset's `get_batch` or `default_collate`),
    `num_workers` (> 0: that many worker processes prepare batches in parallel, in order;
    the dataset and collate_fn must be picklable where the start method is not fork),
    `worker_init_fn(worker_id)` (run in each worker as it starts; `get_worker_info()` then
    gives its id and seed), `persistent_workers` (keep the workers between epochs),
    `prefetch_factor` (batches in flight per worker, default 2), `timeout` (seconds to wait
    for a worker's batch, 0 = forever), `multiprocessing_context` (default: fork where the
    platform has it), `generator` (a `numpy.random.Generator` that draws the seed) or `seed`
    (an int; default: drawn from gradwork's global generator, so `manual_seed` repeats runs),
    `prefetch` (num_workers=0: prepare the next batch on a background thread).
    `pin_memory` is accepted and does nothing: gradwork's arrays live in ordinary host memory
    and there is no GPU copy to speed up.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, seed=None, prefetch=True):
        check_positive_int("DataLoader", "batch_size", batch_size)
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass generator or seed, not both")
        if seed is None:
            seed = int((generator or backend.generator()).integers(2 ** 63))
        check_nonnegative_int("DataLoader", "seed", seed)
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ArgumentError("DataLoader: batch_sampler option is mutually exclusive with "
                                "batch_size, shuffle, sampler, and drop_last")
        if sampler is not None and shuffle:
            raise ArgumentError("DataLoader: sampler option is mutually exclusive with shuffle")
        check_nonnegative_int("DataLoader", "num_workers", num_workers)
        check_nonnegative("DataLoader", "timeout", timeout)
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ArgumentError("DataLoader: prefetch_factor and persistent_workers need "
                                f"num_workers > 0, got num_workers={num_workers}")
        prefetch_factor = 2 if prefetch_factor is None else \
            check_positive_int("DataLoader", "prefetch_factor", prefetch_factor)
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.collate_fn = shuffle, drop_last, collate_fn
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.seed, self.prefetch = int(seed), prefetch
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        if multiprocessing_context is None:
            multiprocessing_context = "fork" if "fork" in \
                multiprocessing.get_all_start_methods() else "spawn"
        self.multiprocessing_context = multiprocessing_context
        self._pool = None
        self._epoch, self._batch, self._resumed = 0, 0, False

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    # ------------------------------------------------------------ state for exact resume
    def state_dict(self):
        """Where the next batch comes from: {"seed", "epoch", "batch"}."""
        return {"seed": self.seed, "epoch": self._epoch, "batch": self._batch}

    def load_state_dict(self, state):
        missing = {"seed", "epoch", "batch"} - set(state)
        if missing:
            raise KeyError(f"DataLoader.load_state_dict: missing {sorted(missing)}")
        self.seed, self._epoch, self._batch = int(state["seed"]), int(state["epoch"]), \
            int(state["batch"])
        self._resumed = self._batch > 0

    # ------------------------------------------------------------ batches
    def _order(self, epoch):
        n = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng([self.seed, epoch, 0]).permutation(n)
        return np.arange(n)

    def _batch_indices(self, epoch):
        """This epoch's batches as index lists (or slices of one order array)."""
        if self.batch_sampler is not None:
            return [list(b) for b in self.batch_sampler]
        order = list(self.sampler) if self.sampler is not None else self._order(epoch)
        bs = self.batch_size
        return [order[k * bs:(k + 1) * bs] for k in range(len(self))]

    def _fetch(self, indices, epoch, k):
        return _fetch_batch(self.dataset, self.collate_fn, self.seed, indices, epoch, k)

    def __iter__(self):
        if self._batch and not self._resumed:      # an abandoned epoch: start the next one
            self._epoch, self._batch = self._epoch + 1, 0
        self._resumed = False
        epoch, start = self._epoch, self._batch
        batch_indices = self._batch_indices(epoch)
        if self.num_workers > 0:
            return _EpochIterator(self, self._worker_batches(batch_indices, epoch, start),
                                  epoch, start)

        def fetch(k):
            return self._fetch(batch_indices[k], epoch, k)

        batches = _Prefetcher(fetch, start, len(batch_indices)) if self.prefetch else \
            (fetch(k) for k in range(start, len(batch_indices)))
        return _EpochIterator(self, batches, epoch, start)

    def _worker_batches(self, batch_indices, epoch, start):
        """Batches from worker processes: this iteration's own pool, or (persistent_workers)
        the loader's, shared by its iterations (stale results are told apart by serial)."""
        pool = self._pool if self.persistent_workers else None
        if pool is None:
            fetch = functools.partial(_fetch_batch, self.dataset, self.collate_fn, self.seed)
            base_seed = int(np.random.default_rng([self.seed, epoch, 2]).integers(2 ** 62))
            pool = WorkerPool(fetch, self.dataset, self.num_workers, base_seed,
                              self.worker_init_fn, self.multiprocessing_context,
                              self.timeout, self.prefetch_factor)
            if self.persistent_workers:
                self._pool = pool
        try:
            yield from pool.batches(batch_indices, epoch, start)
        finally:
            if not self.persistent_workers or not _alive(pool):
                pool.shutdown()
                if self._pool is pool:
                    self._pool = None

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown()


def _alive(pool):
    return all(p.is_alive() for p in pool.procs)


def _fetch_batch(dataset, collate_fn, seed, indices, epoch, k):
    """Batch k of epoch `epoch`: its samples collated, random transforms drawing from
    default_rng([seed, epoch, 1, k]) (in whichever thread or process runs it)."""
    with use_generator(np.random.default_rng([seed, epoch, 1, k])):
        if collate_fn is not None:
            return collate_fn([dataset[int(i)] for i in indices])
        if hasattr(dataset, "get_batch"):
            return dataset.get_batch(indices)
        return default_collate([dataset[int(i)] for i in indices])


class _EpochIterator:
    """One epoch's batches; keeps the loader's position up to date; `close()` stops the
    background thread (also on garbage collection)."""

    def __init__(self, loader, batches, epoch, start):
        self.loader, self.batches, self.epoch, self.next = loader, batches, epoch, start

    def __iter__(self):
        return self

    def __next__(self):
        try:
            batch = next(self.batches)
        except StopIteration:
            self.loader._epoch, self.loader._batch = self.epoch + 1, 0
            self.close()
            raise
        self.next += 1
        self.loader._epoch, self.loader._batch = self.epoch, self.next
        return batch

    def __len__(self):
        return len(self.loader) - self.next

    def close(self):
        close = getattr(self.batches, "close", None)
        if close is not None:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Prefetcher:
    """Runs `fetch(k)` for k in [start, stop) on a daemon thread, `depth` batches ahead."""

    def __init__(self, fetch, start, stop, depth=2):
        self.queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.finished = False
        self.thread = threading.Thread(target=_produce, args=(fetch, start, stop, self.queue,
                                                              self.stop), daemon=True,
                                       name="gradwork-DataLoader")
        self.thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self.finished:
            raise StopIteration
        item = self.queue.get()
        if item is _DONE:
            self.finished = True
            self.thread.join()
            raise StopIteration
        if isinstance(item, tuple) and item and item[0] is _ERROR:
            self.close()
            raise item[1]
        return item

    def close(self):
        """Stop the producer and wait for it (it never blocks for long: puts time out)."""
        self.finished = True
        self.stop.set()
        while self.thread.is_alive():
            try:
                self.queue.get_nowait()
            except queue.Empty:
                self.thread.join(timeout=0.05)

    def __del__(self):
        self.close()


def _produce(fetch, start, stop, out, stop_event):
    """The background thread: fetch batches in order; hand over errors to the consumer."""
    try:
        for k in range(start, stop):
            if stop_event.is_set():
                return
            item = fetch(k)
            while not stop_event.is_set():
                try:
                    out.put(item, timeout=0.05)
                    break
                except queue.Full:
                    continue
        item = _DONE
    except BaseException as e:
        item = (_ERROR, e)
    while not stop_event.is_set():
        try:
            out.put(item, timeout=0.05)
            return
        except queue.Full:
            continue
