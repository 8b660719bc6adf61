"""The timing loop, the synthetic batch and the JSON line of WORKLOADS.md, shared by every
workload.

A workload module (w1_lenet.py is the pattern) defines NAME, DESCRIPTION, BUDGET (a
`Budget`), GFLOP_PER_STEP (or None) and two builders, `build_gradwork()` and `build_torch()`,
each returning a zero-argument `step()` that does one timed step and returns a Python float
(the loss) or a NumPy array; optionally `extra_fields(stats)` → more JSON fields.
`measure(module, framework)` times one framework on it and returns the result record; add the
module to `run.WORKLOADS` to put it in the one command.
"""
import datetime
import json
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass

import numpy as np

from . import THREADS


@dataclass(frozen=True)
class Budget:
    """warmup untimed steps, then timed steps until ≥ min_steps and Σ ≥ target_s (≤ max_steps)."""
    warmup: int
    min_steps: int
    target_s: float
    max_steps: int

    def quick(self):
        """A shorter run for a busy machine or a smoke test (figures are less stable)."""
        return Budget(1, max(3, self.min_steps // 4), self.target_s / 5,
                      max(3, self.max_steps // 4))


def synthetic_batch(shape, batch=None, classes=10):
    """WORKLOADS.md's data: x ~ N(0, 1) float32 of `shape`, then `batch` labels (default
    shape[0]; a sequence-major (T, N, I) input passes N), from one generator."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    y = rng.integers(0, classes, size=shape[0] if batch is None else batch, dtype=np.int64)
    return x, y


def conv_macs(c_in, c_out, k, h_out, w_out, groups=1):
    """Multiply-adds of one convolution per sample."""
    return c_out * h_out * w_out * (c_in // groups) * k * k


def time_steps(step, budget):
    """Run the loop; returns the statistics fields of the JSON line."""
    first = None
    for i in range(budget.warmup):
        t0 = time.perf_counter()
        step()
        if i == 0:
            first = time.perf_counter() - t0
    times = []
    while len(times) < budget.max_steps and (len(times) < budget.min_steps
                                             or sum(times) < budget.target_s):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    return {"median_s": median, "min_s": min(times), "max_s": max(times),
            "mean_s": statistics.fmean(times), "steps": len(times), "first_step_s": first,
            "compile_s": None if first is None else first - median}


def framework_version(framework):
    if framework == "gradwork":
        import gradwork
        return gradwork.__version__
    import torch
    return torch.__version__


def record(framework, workload, stats=None, gflop=None, error=None, **extra):
    """One JSON-able result line (WORKLOADS.md's fields, `error` instead of the timings)."""
    line = {"framework": framework, "version": framework_version(framework),
            "workload": workload}
    if error is None:
        line.update(stats)
        line["gflop_per_step"] = gflop
        line["gflops"] = None if gflop is None else gflop / stats["median_s"]
    else:
        line["error"] = error
    line.update(threads=THREADS, numpy=np.__version__, python=platform.python_version(),
                loadavg_1m=os.getloadavg()[0],
                time=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))
    line.update(extra)
    return line


def build_step(module, framework):
    """The workload's step for `framework`. gradwork's trainer tunes the C allocator
    (gradwork.backend.tune_allocator, process-wide), so its benchmark step does too; the
    PyTorch step runs in a process where it was never called."""
    if framework != "gradwork":
        return module.build_torch()
    from gradwork.backend import tune_allocator
    tune_allocator()
    return module.build_gradwork()


def measure(module, framework, quick=False):
    """Build `framework`'s step for the workload `module`, time it, return the record."""
    budget = module.BUDGET.quick() if quick else module.BUDGET
    try:
        step = build_step(module, framework)
        stats = time_steps(step, budget)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return record(framework, module.NAME, error=f"{type(exc).__name__}: {exc}")
    extra = module.extra_fields(stats) if hasattr(module, "extra_fields") else {}
    return record(framework, module.NAME, stats, module.GFLOP_PER_STEP, **extra)


def measure_spec(spec, framework, quick=False):
    """measure() of the workload named by a spec ('benchmarks.w3_lstm:GRU'), for a worker
    process."""
    from .interleave import load
    return measure(load(spec), framework, quick)


def profile(module, steps=3, top=25):
    """cProfile `steps` gradwork steps (after one warmup step); print the top entries by
    tottime on stderr (the calling thread's: pool workers are not profiled)."""
    import cProfile
    import pstats
    step = build_step(module, "gradwork")
    step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    print(f"--- {module.NAME}: cProfile of {steps} gradwork steps, by tottime. cProfile sees "
          "the calling thread only: the convolutions run in gradwork's pool workers "
          "(gradwork/threads.py), and the caller's wait for them shows as `acquire` of "
          "_thread.lock", file=sys.stderr)
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(top)


def emit(line):
    print(json.dumps(line), flush=True)


def ratio_line(workload, ours, theirs):
    """'W1: gradwork 0.0312 s/step, torch 0.0121 s/step, ratio 2.58; interleaved 2.49 (...)
    [...]' (or why there is none). The interleaved figures are the gradwork line's
    `ratio_interleaved`, `interleaved_median_s` and `ratio_blocks`, when it has them."""
    if "error" in ours or "error" in theirs:
        return f"{workload}: no ratio ({ours.get('error') or theirs.get('error')})"
    r = ours["median_s"] / theirs["median_s"]
    line = (f"{workload}: gradwork {ours['median_s']:.4g} s/step, torch {theirs['median_s']:.4g} "
            f"s/step, ratio gradwork/torch {r:.2f} (loadavg {ours['loadavg_1m']:.2f})")
    if ours.get("ratio_interleaved") is not None:
        blocks = " ".join(f"{b:.2f}" for b in ours["ratio_blocks"])
        med = ours["interleaved_median_s"]
        line += (f"; interleaved {ours['ratio_interleaved']:.2f} ({med['gradwork']:.4g} vs "
                 f"{med['torch']:.4g} s/step) [{blocks}]")
    return line
