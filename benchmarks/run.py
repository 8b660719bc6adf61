"""The one command: time gradwork and PyTorch on the same workloads in the same run.

    python -m benchmarks.run [--workload W1 W2 ...] [--quick] [--profile | --check]

Prints one JSON line per (framework, workload) on stdout (WORKLOADS.md's format) and the
ratio gradwork/PyTorch per workload on stderr. Each framework runs in a fresh process of its
own, one after the other on each workload (WORKLOADS.md's timing loop: the JSON lines and the
first ratio), then the two in worker processes that alternate in blocks (interleave.py: the
median of the per-block-pair ratios, which cancels the drift of a shared machine's load; the
gradwork line's `ratio_interleaved`); `memory` runs each framework in its own subprocess.
"""
import argparse
import multiprocessing
import sys

from . import equivalence, harness, interleave, memory

# Workload name → module (or module:object); each defines NAME, BUDGET, GFLOP_PER_STEP,
# build_gradwork() and build_torch() (see harness.py).
WORKLOADS = {
    "W1": "benchmarks.w1_lenet",
    "W2": "benchmarks.w2_resnet20",
    "W3": "benchmarks.w3_lstm",
    "W3-GRU": "benchmarks.w3_lstm:GRU",
    "W4": "benchmarks.w4_vgg16",
    "overhead": "benchmarks.op_overhead",
    "mlp": "benchmarks.mlp",
}
DEFAULT = ["W1", "W2", "W3", "W3-GRU", "W4", "overhead", "memory"]
FRAMEWORKS = ("gradwork", "torch")


def measure_alone(spec, framework, quick):
    """harness.measure in a fresh interpreter of its own. In one process the second framework
    would run under the first one's allocator and threads: gradwork's step raises glibc's mmap
    threshold (backend.tune_allocator, called by harness.build_step as the trainer calls it),
    which made PyTorch's W2 step 5–25 % faster than PyTorch as users run it."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(harness.measure_spec, (spec, framework, quick))


def run_timed(name, quick, profile=False):
    try:
        module = interleave.load(WORKLOADS[name])
    except ModuleNotFoundError as exc:
        print(f"{name}: skipped ({exc})", file=sys.stderr)
        return
    if profile:
        harness.profile(module)
        return
    lines = {framework: measure_alone(WORKLOADS[name], framework, quick)
             for framework in FRAMEWORKS}
    if not any("error" in line for line in lines.values()):
        ratio, blocks, medians = interleave.interleaved_ratio(WORKLOADS[name], quick)
        lines["gradwork"].update(ratio_interleaved=ratio,
                                 ratio_blocks=blocks if ratio is not None else None,
                                 interleaved_median_s=medians)
    for framework in FRAMEWORKS:
        harness.emit(lines[framework])
    print(harness.ratio_line(name, lines["gradwork"], lines["torch"]), file=sys.stderr,
          flush=True)


def run_memory():
    lines = {f: memory.measure(f) for f in FRAMEWORKS}
    for line in lines.values():
        harness.emit(line)
    print(memory.ratio_line(lines["gradwork"], lines["torch"]), file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", nargs="+", default=DEFAULT,
                        choices=sorted(WORKLOADS) + ["memory"], metavar="W",
                        help=f"workloads to run (default {' '.join(DEFAULT)}; also: mlp)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer, shorter timed runs (a smoke test or a busy machine)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing, cProfile gradwork's steps (top 25 by tottime)")
    parser.add_argument("--check", action="store_true",
                        help="instead of timing, check that both frameworks compute the same "
                             "losses/outputs from the same initial weights")
    args = parser.parse_args(argv)
    for name in args.workload:
        if args.check:
            print(equivalence.check(name), flush=True)
        elif name == "memory":
            if not args.profile:
                run_memory()
        else:
            run_timed(name, args.quick, args.profile)


if __name__ == "__main__":
    main()
