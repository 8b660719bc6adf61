"""gradwork.threads: the thread count (PyTorch's names) and the batch split over pool workers."""
import multiprocessing
import os
import threading

import numpy as np
import pytest

import gradwork as gw
from gradwork import threads


@pytest.fixture
def three_threads():
    before = gw.get_num_threads()
    gw.set_num_threads(3)
    yield
    gw.set_num_threads(before)


def test_set_and_get_num_threads(three_threads):
    assert gw.get_num_threads() == 3
    if threads._get_global is not None:             # NumPy's BLAS follows
        assert threads._get_global() == 3


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects(bad):
    with pytest.raises(ValueError, match="set_num_threads: n must be a positive integer"):
        gw.set_num_threads(bad)


@pytest.mark.skipif(threads._set_global is None, reason="NumPy's BLAS is not OpenBLAS")
def test_ranges_cover_in_order_on_distinct_workers(three_threads):
    assert threads.parallel_ranges(10) == [(0, 3), (3, 6), (6, 10)]
    assert threads.parallel_ranges(2) == [(0, 1), (1, 2)]
    out = threads.over_ranges(lambda a, b: (a, b, threading.current_thread().name), 10)
    assert [o[:2] for o in out] == [(0, 3), (3, 6), (6, 10)]
    assert len({o[2] for o in out}) == 3
    # BLAS in a worker gives the same product as in the caller
    a = np.random.default_rng(0).standard_normal((64, 64))
    prods = threads.over_ranges(lambda i, j: a @ a, 3)
    for p in prods:
        np.testing.assert_allclose(p, a @ a, rtol=1e-12)


@pytest.mark.skipif(threads._set_global is None, reason="NumPy's BLAS is not OpenBLAS")
def test_nested_calls_run_inline(three_threads):
    inner = threads.over_ranges(lambda a, b: threads.over_ranges(lambda c, d: (c, d), 4), 2)
    assert inner == [[(0, 4)], [(0, 4)]]


def test_one_range_runs_in_the_caller():
    assert threads.over_ranges(lambda a, b: (a, b, threading.current_thread()), 1) == \
        [(0, 1, threading.current_thread())]


@pytest.mark.skipif(threads._set_global is None, reason="NumPy's BLAS is not OpenBLAS")
def test_errors_reach_the_caller_after_every_range_is_done(three_threads):
    done = []

    def fn(a, b):
        if a == 0:
            raise KeyError("range 0")
        threading.Event().wait(0.05)
        done.append(a)
    with pytest.raises(KeyError, match="range 0"):
        threads.over_ranges(fn, 3)
    assert sorted(done) == [1, 2]


def _split_in_child(queue):
    queue.put(threads.over_ranges(lambda a, b: (a, b), 4))


@pytest.mark.skipif(threads._set_global is None or not hasattr(os, "fork"),
                    reason="NumPy's BLAS is not OpenBLAS, or no fork")
def test_a_forked_child_starts_its_own_workers(three_threads):
    """The parent's workers do not exist in a forked child: it must start its own rather
    than queue work for threads that will never run it."""
    threads.over_ranges(lambda a, b: None, 3)                  # the parent's pool is running
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_split_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == [(0, 1), (1, 2), (2, 4)]


@pytest.mark.skipif(threads._set_global is None, reason="NumPy's BLAS is not OpenBLAS")
def test_the_callers_blas_keeps_every_thread_after_a_split(three_threads):
    """OpenBLAS's count is process-wide: a worker that set it to 1 made every later GEMM of
    the caller single-threaded (other roundings than before the pool started, so a resumed
    run differed from an uninterrupted one: issue 12, item 1)."""
    seen = threads.over_ranges(lambda a, b: int(threads._get_global()), 3)
    assert seen == [1, 1, 1]                            # the workers' GEMMs: one thread each
    assert threads._get_global() == gw.get_num_threads() == 3


@pytest.mark.skipif(threads._set_global is None, reason="NumPy's BLAS is not OpenBLAS")
@pytest.mark.parametrize("m, k, n", [(1, 700, 600), (3, 300, 500), (96, 80, 70), (2, 3, 4)])
def test_matmul_cut_over_the_pool_equals_blas_and_is_bit_stable(three_threads, m, k, n):
    """Big GEMMs are cut over gradwork's pool (rows, or columns for few rows) instead of
    waking OpenBLAS's threads; the product is BLAS's to float32 rounding, the same bits on
    every call, and the caller's BLAS count is unchanged afterwards."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k), dtype=np.float32).T          # a transposed weight, as linear
    out = threads.matmul(a, b)
    assert out.shape == (m, n) and out.dtype == np.float32
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4,
                               atol=1e-4)
    for _ in range(3):
        np.testing.assert_array_equal(threads.matmul(a, b), out)
    assert threads._get_global() == 3


@pytest.mark.skipif(threads._set_global is None, reason="NumPy's BLAS is not OpenBLAS")
def test_ops_gemms_in_the_caller_run_single_threaded_and_the_count_comes_back(three_threads):
    """serial_blas: OpenBLAS at 1 thread inside (its workers never wake and spin into the
    next split), the caller's count after, also when fn raises."""
    assert threads.serial_blas(lambda: int(threads._get_global())) == 1
    assert threads._get_global() == 3
    with pytest.raises(KeyError):
        threads.serial_blas(lambda: {}["x"])
    assert threads._get_global() == 3
    seen = []
    real = threads._matmul
    try:        # a small linear layer's GEMM goes through it
        threads._matmul = lambda a, b: seen.append(int(threads._get_global())) or real(a, b)
        gw.nn.functional.linear(gw.ones(4, 8), gw.ones(3, 8))
    finally:
        threads._matmul = real
    assert seen == [1]


def test_workers_let_go_of_the_task_once_it_is_done(three_threads):
    """A worker holding its last task until the next one kept that task's arrays alive between
    calls: the LSTM's saved state (150 MiB at T = 1024) into the next training step."""
    import gc
    import weakref

    class Work:
        def __call__(self, start, stop):
            return stop - start
    work = Work()
    ref = weakref.ref(work)
    assert threads.over_ranges(work, 6) == [2, 2, 2]
    del work
    gc.collect()
    assert ref() is None
