"""Data-parallel scaling: gradwork's DistributedDataParallel over MPI against PyTorch's DDP
(gloo, CPU), W1 and W2 of WORKLOADS.md, K = 1 and 2 processes on this machine.

Weak scaling: every rank trains on the workload's batch (W1 64, W2 128), so K ranks process
K× the images per step; efficiency = throughput(K) / (K · throughput(1)). Every process runs
one thread (--threads), so K = 2 uses the machine's two cores where K = 1 uses one: the
efficiency is what two ranks lose to DDP and to sharing the machine (memory bandwidth, and
on a loaded machine the other jobs). K = 1 is the plain single-process step (no wrapper),
K = 2 wraps the model in each framework's DDP.

Communication: the gradwork K = 2 ranks also time an MPI all-reduce of the model's n float32
gradients alone, and of 8 bytes (the latency), and record DDP's exposed wait at the end of
backward. The ring all-reduce model then projects the per-step cost to K = 8…64 nodes:
T(K) = 2(K − 1)/K · 4n/B + 2(K − 1)·α, for stated links (α, B), and the efficiency of
weak scaling with this machine's K = 1 step time as each node's compute, without overlap:
E = t / (t + T).

    python -m benchmarks.distributed [--quick] [--workload W1 W2] [--steps N]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

_THREADS = os.environ.get("GRADWORK_BENCH_THREADS")
if _THREADS:                         # a worker: its share of the cores, before NumPy loads
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[_var] = _THREADS

import numpy as np  # noqa: E402 - after the thread variables are set

from .steps import gradwork_training_step, torch_training_step  # noqa: E402

WORKLOADS = {"W1": ("w1_lenet", 20, 3), "W2": ("w2_resnet20", 4, 1)}  # module, steps, warmup
# (α seconds per message, B bytes per second) of the links the projection assumes
LINKS = {"10 GbE (α 25 µs, B 1.25 GB/s)": (25e-6, 1.25e9),
         "InfiniBand HDR (α 2 µs, B 25 GB/s)": (2e-6, 25e9)}
PROJECTED_K = (8, 16, 32, 64)


def _model(framework, workload):
    import importlib
    mod = importlib.import_module(f"benchmarks.{WORKLOADS[workload][0]}")
    if framework == "gradwork":
        import gradwork.nn as nn
        import gradwork.nn.functional as F
    else:
        import torch
        nn, F = torch.nn, torch.nn.functional
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    net = mod.lenet5(nn) if workload == "W1" else mod.resnet20(nn, F)
    return net, mod.X_SHAPE


def _timed(step, steps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _allreduce_cost(n, repeats=20):
    """Median seconds of an MPI all-reduce of n float32 alone, and of 8 bytes."""
    from gradwork.distributed import process_group as pg
    out = {}
    for name, size in (("allreduce_model_s", n), ("allreduce_8B_s", 2)):
        buf = np.ones(size, np.float32)
        pg.barrier()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            pg.allreduce_array(buf)
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
    return out


def worker_gradwork(workload, steps, warmup):
    from gradwork import distributed as dist
    k = dist.launched_world_size()
    net, shape = _model("gradwork", workload)
    model = net
    if k > 1:
        dist.init_process_group("mpi")
        model = dist.DistributedDataParallel(net)
    train_step, waits = gradwork_training_step(model, shape), []

    def step():
        loss = train_step()
        if k > 1:
            waits.append(model.comm_wait_s)
        return loss
    median = _timed(step, steps, warmup)
    n = sum(p.numel() for p in net.parameters())
    row = {"framework": "gradwork", "workload": workload, "ranks": k, "median_s": median,
           "images_per_s": k * shape[0] / median, "parameters": n}
    if k > 1:
        row["ddp_exposed_wait_s"] = statistics.median(waits[warmup:])
        row.update(_allreduce_cost(n))
    if k == 1 or dist.get_rank() == 0:
        print(json.dumps(row), flush=True)


def worker_torch(workload, steps, warmup, rank, k, port):
    import torch
    net, shape = _model("torch", workload)
    model = net
    if k > 1:
        import torch.distributed as tdist
        tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                 world_size=k)
        model = torch.nn.parallel.DistributedDataParallel(net)
    step = torch_training_step(model, shape)
    median = _timed(step, steps, warmup)
    if rank == 0:
        print(json.dumps({"framework": "torch", "workload": workload, "ranks": k,
                          "median_s": median, "images_per_s": k * shape[0] / median}),
              flush=True)
    if k > 1:
        torch.distributed.destroy_process_group()


# ---------------------------------------------------------------------- the driver
def _env(threads):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return dict(os.environ, GRADWORK_BENCH_THREADS=str(threads),
                PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_gradwork(workload, k, steps, warmup, threads):
    cmd = [sys.executable, "-m", "benchmarks.distributed", "--worker", "gradwork",
           "--workload", workload, "--steps", str(steps), "--warmup", str(warmup)]
    if k > 1:
        mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
        cmd = [mpiexec, "-n", str(k)] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(threads), timeout=1800)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return _json_lines(proc.stdout)[0]


def run_torch(workload, k, steps, warmup, threads):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.distributed", "--worker",
                               "torch", "--workload", workload, "--steps", str(steps),
                               "--warmup", str(warmup), "--rank", str(r), "--ranks", str(k),
                               "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env(threads))
             for r in range(k)]
    outs = [p.communicate(timeout=1800) for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"torch DDP worker failed:\n{outs[0][1][-2000:]}")
    return _json_lines(outs[0][0])[0]


def ring_allreduce_s(n_bytes, k, alpha, bandwidth):
    """T = 2(K − 1)/K · n/B + 2(K − 1)·α (Patarasuk & Yuan 2009; Thakur et al. 2005)."""
    return 2 * (k - 1) / k * n_bytes / bandwidth + 2 * (k - 1) * alpha


def report(rows):
    by = {(r["framework"], r["workload"], r["ranks"]): r for r in rows}
    print("| workload | framework | K=1 s/step | K=2 s/step | K=1 img/s | K=2 img/s | "
          "efficiency |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for (fw, wl, k), r in sorted(by.items()):
        if k != 2 or (fw, wl, 1) not in by:
            continue
        one = by[(fw, wl, 1)]
        print(f"| {wl} | {fw} | {one['median_s']:.4f} | {r['median_s']:.4f} | "
              f"{one['images_per_s']:.0f} | {r['images_per_s']:.0f} | "
              f"{r['images_per_s'] / (2 * one['images_per_s']):.2f} |")
    for wl in sorted({r["workload"] for r in rows}):
        g = by.get(("gradwork", wl, 2))
        one = by.get(("gradwork", wl, 1))
        if g is None or one is None:
            continue
        n_bytes = 4 * g["parameters"]
        print(f"\n{wl}: n = {g['parameters']:,} parameters ({n_bytes / 1e6:.2f} MB of float32 "
              f"gradients); measured, 2 ranks on one machine (shared memory): all-reduce "
              f"{1e3 * g['allreduce_model_s']:.3f} ms alone, 8 B {1e6 * g['allreduce_8B_s']:.0f}"
              f" µs; DDP's exposed wait at the end of backward "
              f"{1e3 * g['ddp_exposed_wait_s']:.3f} ms of a {g['median_s']:.3f} s step")
        print("| link | " + " | ".join(f"K={k} T ms (E)" for k in PROJECTED_K) + " |")
        print("| --- |" + " --- |" * len(PROJECTED_K))
        for name, (alpha, bw) in LINKS.items():
            cells = []
            for k in PROJECTED_K:
                t = ring_allreduce_s(n_bytes, k, alpha, bw)
                cells.append(f"{1e3 * t:.2f} ({one['median_s'] / (one['median_s'] + t):.3f})")
            print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", nargs="+", default=["W1", "W2"], choices=sorted(WORKLOADS))
    p.add_argument("--quick", action="store_true", help="fewer timed steps")
    p.add_argument("--steps", type=int, help="timed steps (default: W1 20, W2 4; --quick: 3)")
    p.add_argument("--warmup", type=int)
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch DDP (gloo)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads per process")
    p.add_argument("--worker", choices=("gradwork", "torch"), help=argparse.SUPPRESS)
    p.add_argument("--rank", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--ranks", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker == "gradwork":
        return worker_gradwork(args.workload[0], args.steps, args.warmup)
    if args.worker == "torch":
        return worker_torch(args.workload[0], args.steps, args.warmup, args.rank, args.ranks,
                            args.port)
    rows = []
    for wl in args.workload:
        steps, warmup = WORKLOADS[wl][1:]
        steps = args.steps or (min(steps, 3) if args.quick else steps)
        warmup = warmup if args.warmup is None else args.warmup
        for k in (1, 2):
            for fw in ("gradwork",) + (() if args.no_torch else ("torch",)):
                run = run_gradwork if fw == "gradwork" else run_torch
                row = run(wl, k, steps, warmup, args.threads)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    report(rows)


if __name__ == "__main__":
    main()
