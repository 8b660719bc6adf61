"""The cores: how many threads gradwork uses, and a pool that splits a kernel's work over them.

NumPy's BLAS (OpenBLAS) runs one GEMM on all cores, but everything around it in a convolution
(im2col's gathers, the layout copies, col2im's adds) is NumPy on one core. So a convolution
over a batch is cut into one contiguous range of samples per thread, and each pool worker
runs its range whole (gathers and GEMMs) with its BLAS calls single-threaded: both cores then
copy as well as multiply, each on its own cache (measured 35–40 % faster on ResNet-20's
convolutions, benchmarks/RESULTS.md). A single image is cut into bands of output rows the
same way.

`set_num_threads` / `get_num_threads` are PyTorch's names. The default is OpenBLAS's own count
(OPENBLAS_NUM_THREADS or OMP_NUM_THREADS, else the cores). Where NumPy's BLAS has no
thread-local setting (not OpenBLAS ≥ 0.3.27), kernels run in the calling thread, as before.
"""
import os
import queue
import threading
from concurrent.futures import Future, wait

from .backend import array_module, blas_library
from .errors import check_positive_int


def _symbol(lib, *names):
    for name in names:
        fn = getattr(lib, name, None) if lib is not None else None
        if fn is not None:
            return fn
    return None


_BLAS = blas_library()
_set_global = _symbol(_BLAS, "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                      "openblas_set_num_threads64_", "openblas_set_num_threads")
_get_global = _symbol(_BLAS, "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                      "openblas_get_num_threads64_", "openblas_get_num_threads")


def _default_threads():
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    if _get_global is not None:
        return max(1, int(_get_global()))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_threads = _default_threads()
_workers = (None, [])       # (pid, [_Worker]): a forked child starts its own
_local = threading.local()  # .worker: a pool worker (nested calls run inline); .sharing: see below


class _Worker:
    """A daemon thread with its own queue of (fn, start, stop, future, ranges): range i of a
    split always goes to worker i."""

    def __init__(self, index):
        self.tasks = queue.SimpleQueue()
        threading.Thread(target=self._serve, name=f"gradwork-{index}", daemon=True).start()

    def _serve(self):
        _local.worker = True
        while (task := self.tasks.get()) is not None:
            fn, start, stop, future, _local.sharing = task
            try:
                future.set_result(fn(start, stop))
            except BaseException as error:
                future.set_exception(error)
            # let go of the task now: held until the next one, it kept alive what fn refers to
            task = fn = future = None


def get_num_threads():
    """The number of threads gradwork's kernels use (PyTorch's `torch.get_num_threads`)."""
    return _threads


def set_num_threads(n):
    """Use n threads: for NumPy's BLAS and for the batch-parallel kernels (PyTorch's
    `torch.set_num_threads`)."""
    global _threads, _workers
    n = check_positive_int("set_num_threads", "n", n)
    if _set_global is not None:
        _set_global(n)
    for worker in _workers[1]:
        worker.tasks.put(None)
    _threads, _workers = n, (None, [])


def _pool():
    global _workers
    if _workers[0] != os.getpid():
        _workers = (os.getpid(), [_Worker(i) for i in range(_threads)])
    return _workers[1]


def parallel_ranges(n):
    """How `over_ranges` cuts range(n): [(start, stop), ...], one range per thread."""
    parts = 1 if _set_global is None or getattr(_local, "worker", False) else min(_threads, n)
    bounds = [n * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def sharing():
    """How many threads run the split this thread is working on (1 outside the pool): they
    share the cache, so a kernel that sizes its blocks to the cache divides by this."""
    return getattr(_local, "sharing", 1)


def over_ranges(fn, n):
    """[fn(start, stop) for each range of `parallel_ranges(n)`], the ranges run at once, range
    i by pool worker i with single-threaded BLAS; a single range runs in the calling thread.
    fn must write only what its range owns."""
    ranges = parallel_ranges(n)
    if len(ranges) == 1:
        return [fn(0, n)]
    futures, workers = [], _pool()
    _set_global(1)                  # the workers' GEMMs single-threaded (a process-wide count)
    try:
        for worker, (start, stop) in zip(workers, ranges):
            futures.append(Future())
            worker.tasks.put((fn, start, stop, futures[-1], len(ranges)))
        wait(futures)               # all done before any error is raised
    finally:
        _set_global(_threads)       # the caller's GEMMs on every thread again
    return [f.result() for f in futures]


def serial_blas(fn, *args):
    """fn(*args) in the calling thread with OpenBLAS single-threaded, its count restored after.

    After every multi-threaded call OpenBLAS's own workers spin on their queues for a while
    (its THREAD_TIMEOUT, ≈ 2^28 cycles): measured 20–26 ms of CPU burnt after one 2-thread
    GEMM, on the core that the next pool split needs (W4 lost 10–15 % that way, from its
    fully-connected layers), and on a shared machine a 2-thread LeNet-5 step burnt 10× the
    CPU of a 1-thread one. So the ops that do their GEMMs in the caller (a convolution too
    small to split, a small linear layer) run them single-threaded: gradwork's parallelism
    is its pool's, OpenBLAS's threads never wake inside those ops, and a GEMM's thread count
    depends only on its op family and shape."""
    if _set_global is None or _threads == 1 or getattr(_local, "worker", False):
        return fn(*args)
    _set_global(1)
    try:
        return fn(*args)
    finally:
        _set_global(_threads)


# From here a linear layer's GEMM is cut over the pool (a range of rows or columns per
# thread); below, one single-threaded GEMM in the caller costs less than the hand-off.
_SPLIT_MACS = 1 << 22


def matmul(a, b):
    """a @ b for 2-D a (M, K), b (K, N): cut over the pool when big (rows of a, or columns of
    b when a has few rows; each range a single-threaded GEMM into its part of the product),
    else single-threaded in the caller (serial_blas says why). The cut depends only on the
    shape and the thread count: the same bits on every call."""
    M, K = a.shape
    N = b.shape[1]
    ranges_of = M if M >= 8 * _threads else N
    if M * K * N < _SPLIT_MACS or len(parallel_ranges(ranges_of)) == 1:
        return serial_blas(_matmul, a, b)
    xp = array_module(a, b)
    out = xp.empty((M, N), xp.result_type(a.dtype, b.dtype))
    if ranges_of == M:
        over_ranges(lambda i, j: xp.matmul(a[i:j], b, out=out[i:j]), M)
    else:
        def cols(i, j):
            out[:, i:j] = a @ b[:, i:j]
        over_ranges(cols, N)
    return out


def _matmul(a, b):
    return a @ b
