"""`DataLoader`: batches of a dataset, shuffled with a seeded generator, prepared one batch
ahead on a background thread.

Randomness is a function of (seed, epoch, batch index) only: epoch e's order is
`default_rng([seed, e, 0]).permutation(n)` and batch k's transforms draw from
`default_rng([seed, e, 1, k])`. So the state to save for an exact resume is three integers
(`state_dict()`: seed, epoch, next batch), and which thread prepares a batch cannot change it.
"""
import queue
import threading

from .. import backend
from ..backend import np
from ..errors import check_nonnegative_int, check_positive_int
from .collate import default_collate
from .transforms import use_generator

_DONE, _ERROR = object(), object()


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size`.

    Args: `shuffle` (a new order every epoch), `drop_last` (skip a last partial batch),
    `collate_fn` (list of samples → batch; default: the dataset's `get_batch` or
    `default_collate`), `generator` (a `numpy.random.Generator` that draws the seed) or
    `seed` (an int; default: drawn from gradwork's global generator, so `manual_seed`
    repeats runs), `prefetch` (prepare the next batch on a background thread).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None, seed=None, prefetch=True):
        check_positive_int("DataLoader", "batch_size", batch_size)
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass generator or seed, not both")
        if seed is None:
            seed = int((generator or backend.generator()).integers(2 ** 63))
        check_nonnegative_int("DataLoader", "seed", seed)
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.collate_fn = shuffle, drop_last, collate_fn
        self.seed, self.prefetch = int(seed), prefetch
        self._epoch, self._batch, self._resumed = 0, 0, False

    def __len__(self):
        n = len(self.dataset)
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

    def _fetch(self, order, epoch, k):
        indices = order[k * self.batch_size:(k + 1) * self.batch_size]
        with use_generator(np.random.default_rng([self.seed, epoch, 1, k])):
            if self.collate_fn is not None:
                return self.collate_fn([self.dataset[int(i)] for i in indices])
            if hasattr(self.dataset, "get_batch"):
                return self.dataset.get_batch(indices)
            return default_collate([self.dataset[int(i)] for i in indices])

    def __iter__(self):
        if self._batch and not self._resumed:      # an abandoned epoch: start the next one
            self._epoch, self._batch = self._epoch + 1, 0
        self._resumed = False
        epoch, start = self._epoch, self._batch
        order = self._order(epoch)
        fetch = (lambda k: self._fetch(order, epoch, k))
        batches = _Prefetcher(fetch, start, len(self)) if self.prefetch else \
            (fetch(k) for k in range(start, len(self)))
        return _EpochIterator(self, batches, epoch, start)


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
        if isinstance(self.batches, _Prefetcher):
            self.batches.close()

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
    except BaseException as e:  # noqa: BLE001 (re-raised in the consumer's thread)
        item = (_ERROR, e)
    while not stop_event.is_set():
        try:
            out.put(item, timeout=0.05)
            return
        except queue.Full:
            continue
