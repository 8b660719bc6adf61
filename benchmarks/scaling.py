"""How the cost grows: gradwork and PyTorch side by side, step time and peak memory along four
axes (issue 21), each fitted with a straight line, and gradwork's slope over PyTorch's.

    python -m benchmarks.scaling [--axis batch depth seq vgg] [--pairs 3] [--out DIR]
    python -m benchmarks.scaling --quick --out /tmp/x    # tiny sizes, in one process: a smoke test
    python -m benchmarks.scaling --cpu --axis seq        # CPU s/step, one thread (loaded machine)

| axis | workload | sizes |
| --- | --- | --- |
| batch | ResNet-20 training (W2's network, 32×32) | batch 16, 64, 256 |
| depth | ResNet-(6n+2) training, batch 128 | ResNet-20, 56, 110 (n = 3, 9, 18) |
| seq | LSTM training (W3's network), batch 32 | T = 64, 256, 1024 |
| vgg | VGG-16 inference (W4's network, 224×224) | batch 1, 8, 32 |

Every cost here should grow linearly in its size (conv/LSTM work and saved activations are
proportional to batch, depth and T), so each curve is fitted with t = a + b·x by least squares:
b is the marginal cost (s or MiB per unit), a the fixed part; gradwork's b / PyTorch's b is the
figure the issue asks for (goal ≤ 1.2). The log-log exponent k of t ∝ x^k says how linear the
curve is (1: linear; < 1: a fixed part still shows; > 1: something grows faster than the work).

Timing: each point runs as interleave.py's two worker processes timed in alternating blocks
(`--pairs` pairs of 1 s blocks; each framework's median over all its steps), memory as
memory.py's fresh subprocess per framework (peak RSS − baseline over 2 steps). --quick runs
both frameworks in this process on tiny sizes (figures not comparable: one heap, no spawn).
--cpu does the same at full sizes with the CPU time of each step at one thread: on a machine
that other jobs load, two threads' wall time mostly measures how each framework's threads wait
for each other (PyTorch's W3 step went from 0.008 s to 0.4–3 s at a load average of 20), the
CPU time of one thread the work itself; its memory column is in-process, so indicative only.
Writes scaling_<axis>.png (time and memory against size, both frameworks) into --out (default:
benchmarks/ for a full run, nothing for --quick) and prints one JSON line per point and the
table of slopes.
"""
import argparse
import gc
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import harness, interleave, memory, w2_resnet20, w3_lstm, w4_vgg16
from .harness import Budget
from .steps import (
    gradwork_inference_step,
    gradwork_training_step,
    import_torch,
    torch_inference_step,
    torch_training_step,
)

FRAMEWORKS = ("gradwork", "torch")


@dataclass(frozen=True)
class Point:
    """One size on one axis, in the shape harness and interleave expect of a workload."""
    NAME: str
    kind: str                     # resnet | lstm | vgg
    size: tuple       # resnet: (blocks, batch, image); lstm: (T, N); vgg: (batch, image)
    BUDGET: Budget = Budget(1, 3, 3.0, 30)
    GFLOP_PER_STEP: float = None

    @property
    def DESCRIPTION(self):
        return f"{self.kind} {self.size}"

    def build(self, framework):
        if framework == "torch":
            torch = import_torch()
            nn, F, training, inference = torch.nn, torch.nn.functional, torch_training_step, \
                torch_inference_step
        else:
            import gradwork.nn as nn
            F, training, inference = nn.functional, gradwork_training_step, \
                gradwork_inference_step
        if self.kind == "resnet":
            blocks, batch, image = self.size
            return training(w2_resnet20.resnet20(nn, F, blocks), (batch, 3, image, image))
        if self.kind == "lstm":
            T, N = self.size
            return training(w3_lstm.recurrent_classifier(nn, "LSTM"), (T, N, w3_lstm.IN), N)
        batch, image = self.size
        fc = w4_vgg16.FC if image == 224 else (512 * (image // 32) ** 2, 64, 64, 10)
        return inference(w4_vgg16.vgg16(nn, fc), (batch, 3, image, image))

    def build_gradwork(self):
        return self.build("gradwork")

    def build_torch(self):
        return self.build("torch")


@dataclass(frozen=True)
class Axis:
    name: str
    title: str
    xlabel: str
    xs: tuple
    quick_xs: tuple
    point: object                 # (x, quick) → Point


AXES = {
    "batch": Axis("batch", "ResNet-20 training", "batch size", (16, 64, 256), (2, 4),
                  lambda x, q: Point(f"batch_{x}", "resnet", (3, x, 8 if q else 32))),
    "depth": Axis("depth", "ResNet-(6n+2) training, batch 128", "layers (6n+2)", (20, 56, 110),
                  (8, 14), lambda x, q: Point(f"depth_{x}", "resnet",
                                                  ((x - 2) // 6, 2 if q else 128, 8 if q else 32))),
    "seq": Axis("seq", "LSTM training, batch 32, hidden 128", "sequence length T",
                (64, 256, 1024), (4, 8),
                lambda x, q: Point(f"seq_{x}", "lstm", (x, 4 if q else 32))),
    "vgg": Axis("vgg", "VGG-16 inference", "batch size", (1, 8, 32), (1, 2),
                lambda x, q: Point(f"vgg_{x}", "vgg", (x, 32 if q else 224))),
}

# The full run's points, as module attributes: interleave's and memory's workers load them by a
# 'benchmarks.scaling:NAME' spec.
for _axis in AXES.values():
    for _x in _axis.xs:
        _p = _axis.point(_x, False)
        globals()[_p.NAME] = _p
del _axis, _x, _p


# ------------------------------------------------------------------ fits
def linear_fit(xs, ys):
    """Least-squares (a, b) of y = a + b·x."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return my - b * mx, b


def loglog_exponent(xs, ys):
    """k of y ∝ x^k by least squares on the logarithms (None if some y ≤ 0)."""
    if min(ys) <= 0:
        return None
    return linear_fit([math.log(x) for x in xs], [math.log(y) for y in ys])[1]


def slopes(xs, ours, theirs):
    """The fits of both curves and the ratio of their slopes."""
    (a1, b1), (a2, b2) = linear_fit(xs, ours), linear_fit(xs, theirs)
    return {"gradwork_slope": b1, "torch_slope": b2, "gradwork_intercept": a1,
            "torch_intercept": a2, "slope_ratio": b1 / b2 if b2 > 0 else None,
            "gradwork_exponent": loglog_exponent(xs, ours),
            "torch_exponent": loglog_exponent(xs, theirs)}


# ------------------------------------------------------------------ measuring one point
def _rss_step_peak(step, steps=2):
    """In-process peak RSS − RSS before, over `steps` steps (memory.py's method), MiB."""
    base = memory._status_mib("VmRSS")
    memory._reset_peak()
    for _ in range(steps):
        step()
    return memory._status_mib("VmHWM") - base


def measure_quick(point, clock=time.perf_counter):
    """Both frameworks in this process, one thread each (two pools of spinning threads in one
    process would slow each other down): time by `clock` (median of 3 alternating steps) and
    peak memory over one step before them; {framework: (seconds, MiB)}."""
    from gradwork import threads
    torch = import_torch()
    before = threads.get_num_threads(), torch.get_num_threads()
    steps = {f: harness.build_step(point, f) for f in FRAMEWORKS}
    threads.set_num_threads(1)
    torch.set_num_threads(1)
    try:
        mib = {f: _rss_step_peak(steps[f], 1) for f in FRAMEWORKS}
        times = {f: [] for f in FRAMEWORKS}
        for _ in range(3):
            for f in FRAMEWORKS:
                t0 = clock()
                steps[f]()
                times[f].append(clock() - t0)
    finally:
        threads.set_num_threads(before[0])
        torch.set_num_threads(before[1])
    return {f: (statistics.median(times[f]), mib[f]) for f in FRAMEWORKS}


def measure_full(point, pairs):
    """Interleaved worker processes for time, fresh subprocesses for memory."""
    spec = f"benchmarks.scaling:{point.NAME}"       # (not __name__: "__main__" under -m)
    ratio, blocks, medians = interleave.interleaved_ratio(spec, pairs=pairs)
    if ratio is None:
        raise RuntimeError(f"{point.NAME}: {blocks}")
    result = {}
    for f in FRAMEWORKS:
        line = memory.measure(f, spec)
        if "error" in line:
            raise RuntimeError(f"{point.NAME} memory ({f}): {line['error']}")
        result[f] = (medians[f], line["step_mib"])
    return result


# ------------------------------------------------------------------ the run
def run_axis(axis, quick, pairs, cpu=False):
    """Measure every point of the axis; returns (rows, fits)."""
    xs = axis.quick_xs if quick else axis.xs
    rows = []
    for x in xs:
        point = axis.point(x, quick)
        if quick or cpu:
            m = measure_quick(point, time.process_time if cpu else time.perf_counter)
        else:
            m = measure_full(point, pairs)
        row = {"axis": axis.name, "x": x, "point": point.NAME, "quick": quick, "cpu": cpu,
               "loadavg_1m": os.getloadavg()[0]}
        for f in FRAMEWORKS:
            row[f"{f}_s"], row[f"{f}_mib"] = m[f]
        print(json.dumps(row), flush=True)
        rows.append(row)
        gc.collect()
    fits = {what: slopes(xs, [r[f"gradwork_{what}"] for r in rows],
                         [r[f"torch_{what}"] for r in rows]) for what in ("s", "mib")}
    return rows, fits


def plot_axis(axis, rows, out):
    """scaling_<axis>.png, or scaling_cpu_<axis>.png for a --cpu run."""
    from gradwork.reproduce.plotting import curves
    Path(out).mkdir(parents=True, exist_ok=True)
    xs = [r["x"] for r in rows]
    cpu = rows[0].get("cpu", False)
    time_label = ("CPU time, one thread", "CPU s per step") if cpu else ("step time", "s per step")
    panels = [(f"{axis.title}: {label}", axis.xlabel, unit,
               [(f, xs, [r[f"{f}_{what}"] for r in rows]) for f in FRAMEWORKS], False)
              for what, label, unit in (("s",) + time_label,
                                        ("mib", "peak memory", "MiB (peak RSS − baseline)"))]
    name = f"scaling_{'cpu_' if cpu else ''}{axis.name}.png"
    return curves(Path(out) / name, panels, f"cost against {axis.xlabel}: gradwork vs PyTorch")


def _fmt(v, digits=3):
    return "–" if v is None else f"{v:.{digits}g}"


def table(results):
    """Markdown: per axis and measure, both slopes, their ratio and the log-log exponents."""
    lines = ["| axis | measure | gradwork slope | PyTorch slope | ratio | exponent gradwork / "
             "PyTorch |", "| --- | --- | --- | --- | --- | --- |"]
    for name, (_, fits) in results.items():
        unit = AXES[name].xlabel
        for what, label in (("s", "s/step"), ("mib", "MiB")):
            f = fits[what]
            lines.append(f"| {name} | {label} per {unit} | {_fmt(f['gradwork_slope'])} | "
                         f"{_fmt(f['torch_slope'])} | **{_fmt(f['slope_ratio'], 2)}** | "
                         f"{_fmt(f['gradwork_exponent'], 2)} / {_fmt(f['torch_exponent'], 2)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--axis", nargs="+", choices=list(AXES), default=list(AXES))
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one process")
    parser.add_argument("--cpu", action="store_true",
                        help="full sizes, measured as --quick does but in CPU seconds per step "
                             "at one thread: robust to other jobs on a loaded machine")
    parser.add_argument("--pairs", type=int, default=3,
                        help="interleaved block pairs per point (full run; default 3)")
    parser.add_argument("--out", default=None,
                        help="folder for the PNGs (default benchmarks/; none with --quick)")
    args = parser.parse_args(argv)
    out = args.out or (None if args.quick else str(Path(__file__).parent))
    results = {}
    for name in args.axis:
        rows, fits = run_axis(AXES[name], args.quick, args.pairs, args.cpu)
        results[name] = (rows, fits)
        if out is not None:
            print(f"{name}: {plot_axis(AXES[name], rows, out)}", file=sys.stderr, flush=True)
    print(table(results), flush=True)
    return results


if __name__ == "__main__":
    main()
