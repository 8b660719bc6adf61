"""DataLoader worker processes: batches prepared in parallel, delivered in order.

Each worker is a process with its own task queue; all share one result queue. The main
process sends (serial, k, epoch, indices) tasks round-robin, keeps at most
`prefetch_factor · num_workers` outstanding, and hands batches back in index order. A batch's
randomness depends only on (seed, epoch, k) (see loader.py), so which worker builds it
cannot change it: the batches equal those of num_workers=0. Errors in a worker are re-raised
in the main process with the worker's traceback; a worker that dies is reported by pid.
"""
import collections
import multiprocessing
import os
import queue
import traceback

from .. import backend

WorkerInfo = collections.namedtuple("WorkerInfo", ["id", "num_workers", "seed", "dataset"])
_info = None


def get_worker_info():
    """In a DataLoader worker: WorkerInfo(id, num_workers, seed, dataset); else None."""
    return _info


def _worker_loop(fetch, dataset, worker_id, num_workers, seed, init_fn, tasks, results):
    global _info
    _info = WorkerInfo(worker_id, num_workers, seed, dataset)
    backend.manual_seed(seed)               # per-worker global generator, as PyTorch's
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except BaseException:
        results.put((None, None, _failure(worker_id)))
        return
    while True:
        task = tasks.get()
        if task is None:
            return
        serial, k, epoch, indices = task
        try:
            results.put((serial, k, ("ok", fetch(indices, epoch, k))))
        except BaseException:
            results.put((serial, k, _failure(worker_id)))


def _failure(worker_id):
    message = (f"Caught an exception in DataLoader worker process {worker_id} "
               f"(pid {os.getpid()}). Original traceback:\n{traceback.format_exc()}")
    return ("error", message)


class WorkerPool:
    """`num_workers` processes running `fetch(indices, epoch, k)`."""

    def __init__(self, fetch, dataset, num_workers, base_seed, init_fn, context, timeout,
                 prefetch_factor):
        ctx = multiprocessing.get_context(context)
        self.results = ctx.Queue()
        self.tasks, self.procs = [], []
        self.timeout, self.depth = timeout, prefetch_factor * num_workers
        self.serial = 0
        for i in range(num_workers):
            q = ctx.Queue()
            p = ctx.Process(target=_worker_loop, name=f"gradwork-DataLoader-{i}", daemon=True,
                            args=(fetch, dataset, i, num_workers, (base_seed + i) % 2 ** 63,
                                  init_fn, q, self.results))
            p.start()
            self.tasks.append(q)
            self.procs.append(p)

    def batches(self, batch_indices, epoch, start):
        """Yield fetch(batch_indices[k], epoch, k) for k ≥ start, in order."""
        self.serial += 1
        serial, n = self.serial, len(batch_indices)
        sent, ready = start, {}
        for k in range(start, n):
            while sent < n and sent - k < self.depth:
                self.tasks[sent % len(self.tasks)].put((serial, sent, epoch,
                                                        list(batch_indices[sent])))
                sent += 1
            while k not in ready:
                s, j, payload = self._get()
                if s is None or (s == serial and payload[0] == "error"):
                    raise RuntimeError(payload[1])
                if s == serial:                 # else: left over from an abandoned epoch
                    ready[j] = payload[1]
            yield ready.pop(k)

    def _get(self):
        waited = 0.0
        while True:
            try:
                return self.results.get(timeout=1.0)
            except queue.Empty:
                waited += 1.0
            dead = [p for p in self.procs if not p.is_alive()]
            if dead:
                pids = ", ".join(str(p.pid) for p in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                   f"with exit code {dead[0].exitcode}")
            if self.timeout and waited >= self.timeout:
                raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds")

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def shutdown(self):
        """Stop the workers: a None task each, then wait for them while draining the results
        (a worker exits only once its last batches are written whole: a message cut short
        would block any later read); one that does not exit within 2 s is terminated."""
        for q, p in zip(self.tasks, self.procs):
            if p.is_alive():
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
        drain = True
        for p in self.procs:
            for _ in range(40):
                if drain:
                    try:
                        while True:
                            self.results.get(timeout=0.05)
                    except (queue.Empty, OSError, ValueError, EOFError):
                        pass
                else:
                    p.join(timeout=0.05)
                if not p.is_alive():
                    break
            if p.is_alive():
                p.terminate()               # it may leave half a message: stop reading
                p.join(timeout=1)
                drain = False
        for q in self.tasks + [self.results]:
            q.cancel_join_thread()
            q.close()
        self.procs, self.tasks = [], []

    def __del__(self):
        if self.procs:
            self.shutdown()
