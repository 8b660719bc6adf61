"""Small load-robust probes used for issue 21's A/B measurements (benchmarks/RESULTS.md).

    python -m benchmarks.probes chain [--torch] [--steps N]   # µs per op of the 1,000-op chain
    python -m benchmarks.probes spin                          # CPU OpenBLAS burns after VGG's head
    python -m benchmarks.probes step W1|W2|W4 [--framework torch] [--threads N]

On a machine shared by many jobs the wall clock measures the queue for the cores; these print
CPU time (`process_time`, all threads) beside it, and `chain --steps N` with N = 2 and 12 under
`valgrind --tool=cachegrind` gives instructions per op by difference (RESULTS.md's command).
"""
import argparse
import statistics
import sys
import time


def _times(step, n):
    wall, cpu = [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def chain(args):
    from . import op_overhead as m
    steps = {"gradwork": m.build_gradwork()}
    if args.torch:
        steps["torch"] = m.build_torch()
    if args.steps is not None:                      # a fixed amount of work (for valgrind)
        for _ in range(args.steps):
            steps["gradwork"]()
        return
    best = {k: [] for k in steps}
    for _ in range(7):                              # rounds, the frameworks alternating
        for k, step in steps.items():
            best[k].append(min(_times(step, 20)[1]))
    us = {k: statistics.median(v) / m.N_OPS * 1e6 for k, v in best.items()}
    print("  ".join(f"{k} {v:.2f} µs/op (CPU)" for k, v in us.items())
          + (f"  ratio {us['gradwork'] / us['torch']:.3f}" if args.torch else ""))


def spin(args):
    """CPU time of VGG-16's three linear layers (batch 1) and in the 200 ms after them, when
    only threads other than the caller's can run: OpenBLAS's spinning workers."""
    import numpy as np

    import gradwork as gw
    import gradwork.nn as nn

    from . import w4_vgg16 as w
    head = nn.Sequential(*list(w.vgg16(nn).eval())[31:])
    f = gw.tensor(np.random.default_rng(0).standard_normal((1, 25088), dtype=np.float32))
    with gw.no_grad():
        head(f)
        time.sleep(0.3)
        for _ in range(3):
            c0, t0 = time.process_time(), time.perf_counter()
            head(f)
            t1, c1 = time.perf_counter(), time.process_time()
            time.sleep(0.2)
            print(f"head {1e3 * (t1 - t0):.1f} ms wall, {1e3 * (c1 - c0):.1f} ms CPU; CPU in the "
                  f"next 200 ms of sleep {1e3 * (time.process_time() - c1):.1f} ms")


def step(args):
    from . import harness, interleave, run
    module = interleave.load(run.WORKLOADS[args.workload])
    if args.framework == "torch":
        import torch
        torch.set_num_threads(args.threads)
    else:
        import gradwork
        gradwork.set_num_threads(args.threads)
    fn = harness.build_step(module, args.framework)
    for _ in range(2):
        fn()
    wall, cpu = _times(fn, args.n)
    print(f"{args.workload} {args.framework} threads {args.threads}: wall median "
          f"{1e3 * statistics.median(wall):.1f} ms min {1e3 * min(wall):.1f}; CPU median "
          f"{1e3 * statistics.median(cpu):.1f} ms min {1e3 * min(cpu):.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="probe", required=True)
    p = sub.add_parser("chain")
    p.add_argument("--torch", action="store_true")
    p.add_argument("--steps", type=int)
    sub.add_parser("spin")
    p = sub.add_parser("step")
    p.add_argument("workload", choices=["W1", "W2", "W4"])
    p.add_argument("--framework", default="gradwork", choices=["gradwork", "torch"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("-n", type=int, default=10)
    args = parser.parse_args(argv)
    {"chain": chain, "spin": spin, "step": step}[args.probe](args)


if __name__ == "__main__":
    sys.exit(main())
