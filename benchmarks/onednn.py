"""oneDNN against gradwork's NumPy convolutions and PyTorch, in one process, alternating.

    python -m benchmarks.onednn layers [--threads N] [--set W1 W2 W4 misc]
    python -m benchmarks.onednn steps  [--threads N] [--workload W1 W2 W4] [-n ROUNDS] [--no-torch]

`layers`: each convolution layer of the workloads through `F.conv2d` (forward, and forward +
backward), with oneDNN (`gradwork.backends.mkldnn.enabled`), without it (the NumPy path) and
PyTorch; `steps`: the workloads' whole steps the same way. The three alternate within each
round; the median per side is printed. At 1 thread the time is CPU time (`process_time`),
which survives a shared machine's load; at more threads it is the wall clock (note the load),
and PyTorch, loaded after oneDNN, shares its libgomp (with sleeping waiters, see
kernels/onednn.py): PyTorch's own 2-thread figure is `python -m benchmarks.run`'s.
"""
import argparse
import os
import statistics
import sys
import time

# (N, C, H=W, K, kernel, stride, padding, groups)
LAYERS = {
    "W1": [(64, 1, 32, 6, 5, 1, 0, 1), (64, 6, 14, 16, 5, 1, 0, 1)],
    "W2": [(128, 3, 32, 16, 3, 1, 1, 1), (128, 16, 32, 16, 3, 1, 1, 1),
           (128, 16, 32, 32, 3, 2, 1, 1), (128, 32, 16, 32, 3, 1, 1, 1),
           (128, 32, 16, 64, 3, 2, 1, 1), (128, 64, 8, 64, 3, 1, 1, 1),
           (128, 16, 32, 32, 1, 2, 0, 1), (128, 32, 16, 64, 1, 2, 0, 1)],
    "W4": [(1, 3, 224, 64, 3, 1, 1, 1), (1, 64, 224, 64, 3, 1, 1, 1),
           (1, 64, 112, 128, 3, 1, 1, 1), (1, 128, 112, 128, 3, 1, 1, 1),
           (1, 128, 56, 256, 3, 1, 1, 1), (1, 256, 56, 256, 3, 1, 1, 1),
           (1, 256, 28, 512, 3, 1, 1, 1), (1, 512, 28, 512, 3, 1, 1, 1),
           (1, 512, 14, 512, 3, 1, 1, 1)],
    "misc": [(32, 64, 32, 64, 3, 1, 1, 64), (8, 128, 16, 128, 5, 1, 2, 128),
             (32, 32, 16, 64, 3, 1, 1, 2), (32, 64, 16, 64, 1, 1, 0, 1)],
}


def _rounds(sides, rounds, clock):
    """{name: [median seconds of each fn]} over `rounds` alternating rounds."""
    times = {name: [[] for _ in fns] for name, fns in sides.items()}
    for fns in sides.values():                  # warm-up: primitives, workspaces, caches
        for fn in fns:
            fn()
    for _ in range(rounds):
        for name, fns in sides.items():
            for i, fn in enumerate(fns):
                start = clock()
                fn()
                times[name][i].append(clock() - start)
    return {name: [statistics.median(t) for t in ts] for name, ts in times.items()}


def _gradwork(fn, enabled):
    from gradwork.backends import mkldnn

    def run():
        with mkldnn.flags(enabled=enabled):
            fn()
    return run


def _layer_sides(x, w, g, kw):
    """{side: [forward, forward + backward]} for one layer's arrays."""
    import torch

    import gradwork as gw
    import gradwork.nn.functional as F
    xg, wg, gg = gw.tensor(x, requires_grad=True), gw.tensor(w, requires_grad=True), gw.tensor(g)
    xt, wt, gt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True), \
        torch.tensor(g)

    def gw_forward():
        with gw.no_grad():
            F.conv2d(xg, wg, **kw)

    def gw_both():
        F.conv2d(xg, wg, **kw).backward(gg)

    def torch_forward():
        with torch.no_grad():
            torch.nn.functional.conv2d(xt, wt, **kw)

    def torch_both():
        torch.nn.functional.conv2d(xt, wt, **kw).backward(gt)

    return {"onednn": [_gradwork(gw_forward, True), _gradwork(gw_both, True)],
            "numpy": [_gradwork(gw_forward, False), _gradwork(gw_both, False)],
            "torch": [torch_forward, torch_both]}


def layers(args, clock):
    import numpy as np
    print("layer: ms forward / forward+backward for oneDNN, NumPy, PyTorch | oneDNN/NumPy "
          "oneDNN/PyTorch (forward, forward+backward)")
    rng = np.random.default_rng(0)
    for name in args.set:
        for N, C, H, K, k, s, p, G in LAYERS[name]:
            x = rng.standard_normal((N, C, H, H), dtype=np.float32)
            w = rng.standard_normal((K, C // G, k, k), dtype=np.float32) * 0.1
            oh = (H + 2 * p - k) // s + 1
            g = rng.standard_normal((N, K, oh, oh), dtype=np.float32)
            m = _rounds(_layer_sides(x, w, g, dict(stride=s, padding=p, groups=G)), args.n,
                        clock)
            o, n, t = (m[s_] for s_ in ("onednn", "numpy", "torch"))
            print(f"{name} N{N} {C}->{K} @{H} k{k} s{s} g{G}: "
                  + "  ".join(f"{s_} {1e3 * m[s_][0]:.2f}/{1e3 * m[s_][1]:.2f}" for s_ in m)
                  + f" | {o[0] / n[0]:.2f} {o[1] / n[1]:.2f}  {o[0] / t[0]:.2f} {o[1] / t[1]:.2f}",
                  flush=True)


def steps(args, clock):
    from . import harness, interleave, run
    for name in args.workload:
        module = interleave.load(run.WORKLOADS[name])
        step_gw = harness.build_step(module, "gradwork")
        sides = {"onednn": [_gradwork(step_gw, True)], "numpy": [_gradwork(step_gw, False)]}
        if not args.no_torch:
            sides["torch"] = [module.build_torch()]
        m = {side: times[0] for side, times in _rounds(sides, args.n, clock).items()}
        line = (f"{name}: step ms oneDNN {1e3 * m['onednn']:.1f}  NumPy {1e3 * m['numpy']:.1f}"
                f" | oneDNN/NumPy {m['onednn'] / m['numpy']:.2f}")
        if "torch" in m:
            line += (f" | PyTorch {1e3 * m['torch']:.1f}  oneDNN/PyTorch "
                     f"{m['onednn'] / m['torch']:.2f}  NumPy/PyTorch {m['numpy'] / m['torch']:.2f}")
        print(line, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["layers", "steps"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", nargs="+", default=["W1", "W2", "W4"], choices=list(LAYERS))
    parser.add_argument("--workload", nargs="+", default=["W1", "W2", "W4"])
    parser.add_argument("-n", type=int, default=5, help="alternating rounds (the median)")
    parser.add_argument("--no-torch", action="store_true",
                        help="steps: gradwork's two sides only (PyTorch's W1 step at 1 thread "
                             "burnt 60-370 ms of CPU here and slowed the others in its process)")
    args = parser.parse_args(argv)
    import gradwork
    from gradwork.backends import mkldnn
    if not mkldnn.is_available():               # loaded before PyTorch, as without it
        sys.exit(f"oneDNN is not available: {mkldnn.load_error()}")
    import torch

    from gradwork.backend import tune_allocator
    tune_allocator()                            # as gradwork's trainer and harness.build_step
    gradwork.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    print(f"threads {args.threads}, {'CPU time' if args.threads == 1 else 'wall clock'}, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    {"layers": layers, "steps": steps}[args.what](args, clock)
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
