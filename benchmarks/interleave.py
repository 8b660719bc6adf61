"""The interleaved ratio: each framework in its own worker process, the two timed in
alternating blocks.

A shared 2-core machine drifts 2–5× in speed within a minute, so two sequential timing loops
(WORKLOADS.md's, in `harness.measure`) can land in different weather. Here the parent asks the
two workers for ≈ 1 s blocks of steps in turn, and the ratio is the median over pairs of
blocks of (gradwork's block median / PyTorch's block median): both sides of a pair see the
same stretch of load. Separate processes keep the frameworks from sharing one malloc heap
(in one process, each inherits the memory the other freed, and the second to run pays fewer
page faults) and one set of idle worker threads. Before each block the parent pauses 0.2 s
(OpenBLAS's and OpenMP's workers spin for up to ≈ 0.1–0.2 s after a call) and the worker runs
one untimed step; the order alternates from pair to pair.
"""
import importlib
import multiprocessing
import statistics
import sys
import time
import traceback

from . import harness

PAUSE_S = 0.2


def load(spec):
    """'benchmarks.w3_lstm:GRU' → the workload module (or object)."""
    path, _, attr = spec.partition(":")
    module = importlib.import_module(path)
    return getattr(module, attr) if attr else module


def _worker(conn, spec, framework):
    """Build `framework`'s step, warm it up, then time a block for every block length the
    parent sends (None ends); replies ('ok', times) or ('error', text)."""
    try:
        module = load(spec)
        step = harness.build_step(module, framework)
        step()
        step()
        conn.send(("ok", None))
        while (block_s := conn.recv()) is not None:
            step()
            times, end = [], time.perf_counter() + block_s
            while len(times) < 2 or time.perf_counter() < end:
                t0 = time.perf_counter()
                step()
                times.append(time.perf_counter() - t0)
            conn.send(("ok", times))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        conn.send(("error", f"{type(exc).__name__}: {exc}"))


def interleaved_ratio(spec, quick=False, block_s=1.0, pairs=7):
    """(median over pairs of gradwork/PyTorch block medians, the per-pair ratios, each
    framework's median over all its timed steps), or (None, error text, None)."""
    ctx = multiprocessing.get_context("spawn")     # a fresh interpreter: no inherited heap
    conns, procs = {}, []
    try:
        for framework in ("gradwork", "torch"):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, spec, framework), daemon=True)
            proc.start()
            conns[framework] = parent
            procs.append(proc)
        for conn in conns.values():
            status, text = conn.recv()
            if status != "ok":
                return None, text, None
        ratios, order, every = [], list(conns), {framework: [] for framework in conns}
        for _ in range(3 if quick else pairs):
            med = {}
            for framework in order:
                time.sleep(PAUSE_S)
                conns[framework].send(block_s / 3 if quick else block_s)
                status, times = conns[framework].recv()
                if status != "ok":
                    return None, times, None
                med[framework] = statistics.median(times)
                every[framework] += times
            ratios.append(med["gradwork"] / med["torch"])
            order.reverse()
        return (statistics.median(ratios), ratios,
                {framework: statistics.median(times) for framework, times in every.items()})
    except (EOFError, OSError) as exc:
        return None, f"worker died: {type(exc).__name__}: {exc}", None
    finally:
        for conn in conns.values():
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
