"""Binary networks (issue 18, deck 004): speed of the packed XNOR + popcount convolution, whole
XNOR networks against their float twins, the memory of the packed file, and the accuracy
ordering float > BWN > XNOR. Not a test: it prints figures (and one JSON line per claim).

    python -m benchmarks.binary                   # layers, networks, memory (≈ 2 min)
    python -m benchmarks.binary --quick           # fewer repeats
    python -m benchmarks.binary --threads 1       # gradwork and PyTorch on one thread
    python -m benchmarks.binary --accuracy 20     # + train float/BWN/XNOR LeNet-5, 20 epochs

Timings alternate the implementations round by round (so a load spike hits them alike) and
report each one's median; the ratios are of one run. The three claims of the deck are plain
functions — `claim_memory`, `claim_speed`, `claim_accuracy` — each returning its figures and a
verdict under a rule stated before it runs, so that `gradwork reproduce` can wrap them.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

from . import THREADS

LAYERS = [(256, 28, 1), (256, 28, 16), (512, 14, 1), (512, 14, 16)]    # (channels, side, N)


def _setup(threads):
    import torch  # noqa: PLC0415 - the reference, imported only here

    from gradwork import threads as gw_threads  # noqa: PLC0415
    torch.set_num_threads(threads)
    gw_threads.set_num_threads(threads)
    return torch


def _median_times(fns, repeats):
    """{name: median seconds} over `repeats` rounds, the functions alternating in each."""
    for fn in fns.values():
        fn()                                            # warm-up (and JIT compilation)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def layer_timings(torch, repeats):
    """Per layer (3×3, stride 1, padding 1, no bias): packed XNOR vs gradwork's float conv2d
    vs PyTorch's float conv2d, on the same input; rows of figures."""
    import gradwork as gw  # noqa: PLC0415
    from gradwork import nn  # noqa: PLC0415
    from gradwork.nn import functional as F  # noqa: PLC0415
    from gradwork.nn.binary_packed import PackedBinaryConv2d  # noqa: PLC0415
    rows = []
    for C, side, N in LAYERS:
        layer = nn.XNORConv2d(C, C, 3, padding=1, bias=False)
        packed = PackedBinaryConv2d.from_module(layer)
        x = gw.randn(N, C, side, side)
        w = gw.Tensor(layer.weight.data.copy())
        xt, wt = torch.from_numpy(x.data), torch.from_numpy(w.data)
        with gw.no_grad(), torch.no_grad():
            t = _median_times({"xnor": lambda: packed(x),
                               "gradwork": lambda: F.conv2d(x, w, None, 1, 1),
                               "torch": lambda: torch.nn.functional.conv2d(xt, wt, None, 1, 1)},
                              repeats)
        macs = N * side * side * C * C * 9
        rows.append({"layer": f"3x3 {C}->{C} at {side}x{side}", "batch": N, **t,
                     "torch/xnor": t["torch"] / t["xnor"],
                     "gradwork/xnor": t["gradwork"] / t["xnor"],
                     "xnor_gmacs": macs / t["xnor"] / 1e9})
    return rows


def _torch_twin(torch, module):
    """The PyTorch copy of a Sequential-only float network (Conv2d, BatchNorm, ReLU, MaxPool2d,
    Linear, Dropout, Identity), with the same weights."""
    from gradwork import nn  # noqa: PLC0415
    tnn = torch.nn
    if isinstance(module, nn.Sequential):
        return tnn.Sequential(*[_torch_twin(torch, m) for m in module])
    if isinstance(module, nn.Conv2d):
        t = tnn.Conv2d(module.in_channels, module.out_channels, module.kernel_size,
                       module.stride, module.padding, module.dilation, module.groups,
                       module.bias is not None)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        t = (tnn.BatchNorm2d if isinstance(module, nn.BatchNorm2d) else tnn.BatchNorm1d)(
            module.num_features)
    elif isinstance(module, nn.Linear):
        t = tnn.Linear(module.in_features, module.out_features, module.bias is not None)
    elif isinstance(module, nn.MaxPool2d):
        return tnn.MaxPool2d(module.kernel_size, module.stride)
    else:
        return {"ReLU": tnn.ReLU, "Dropout": tnn.Dropout, "Identity": tnn.Identity}[
            type(module).__name__]()
    t.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in
                       module.state_dict().items()})
    return t


def network_timings(torch, repeats, batches=(1, 8)):
    """XNOR AlexNet (packed) vs its float twin in gradwork and in PyTorch; XNOR ResNet-20
    (packed) vs its float twin in gradwork (inference, eval mode)."""
    import gradwork as gw  # noqa: PLC0415
    from gradwork.models import get_model  # noqa: PLC0415
    from gradwork.models.xnor_alexnet import BinaryAlexNet  # noqa: PLC0415
    from gradwork.models.xnor_resnet import BinaryCifarResNet  # noqa: PLC0415
    from gradwork.nn.binary_packed import pack_model  # noqa: PLC0415
    rows = []
    xnor_alex = pack_model(get_model("xnor_alexnet").eval())
    float_alex = BinaryAlexNet("float").eval()
    torch_alex = _torch_twin(torch, float_alex.features).eval()
    torch_head = _torch_twin(torch, float_alex.classifier).eval()
    for N in batches:
        x = gw.randn(N, 3, 224, 224)
        xt = torch.from_numpy(x.data)
        with gw.no_grad(), torch.no_grad():
            t = _median_times({"xnor": lambda: xnor_alex(x), "gradwork": lambda: float_alex(x),
                               "torch": lambda: torch_head(torch_alex(xt).flatten(1))},
                              max(3, repeats // 3))
        rows.append({"network": "AlexNet (XNOR-Net layout) 224x224", "batch": N, **t,
                     "torch/xnor": t["torch"] / t["xnor"],
                     "gradwork/xnor": t["gradwork"] / t["xnor"]})
    xnor_res = pack_model(get_model("xnor_resnet20").eval())
    float_res = BinaryCifarResNet(20, "float").eval()
    x = gw.randn(16, 3, 32, 32)
    with gw.no_grad():
        t = _median_times({"xnor": lambda: xnor_res(x), "gradwork": lambda: float_res(x)},
                          repeats)
    rows.append({"network": "CIFAR ResNet-20 32x32", "batch": 16, **t,
                 "gradwork/xnor": t["gradwork"] / t["xnor"]})
    return rows


def _binary_bytes(arrays, names, suffixes):
    return sum(arrays[f"{n}.{s}"].nbytes for n in names for s in suffixes
               if f"{n}.{s}" in arrays)


def claim_memory(model_name="xnor_alexnet"):
    """Deck 004: binary layers need ~32× less memory. Rule (stated before running): the
    binary layers' bytes in the packed file are ≥ 31× smaller than their float32 weights in
    the float file; the whole files are reported too."""
    from gradwork.models import get_model  # noqa: PLC0415
    from gradwork.nn.binary import BinaryConv2d, BinaryLinear  # noqa: PLC0415
    from gradwork.nn.binary_packed import export_packed  # noqa: PLC0415
    from gradwork.serialization import load, save  # noqa: PLC0415
    model = get_model(model_name).eval()
    names = [n for n, m in model.named_modules() if isinstance(m, (BinaryConv2d, BinaryLinear))]
    with tempfile.TemporaryDirectory() as tmp:
        dense, packed = os.path.join(tmp, "float.safetensors"), os.path.join(tmp, "packed.st")
        save(model.state_dict(), dense)
        export_packed(model, packed)
        sizes = os.path.getsize(dense), os.path.getsize(packed)
        a, b = load(dense, as_arrays=True), load(packed, as_arrays=True)
    float_binary = _binary_bytes(a, names, ("weight", "bias"))
    packed_binary = _binary_bytes(b, names, ("weight_bits", "alpha", "bias"))
    ratio = float_binary / packed_binary
    return {"claim": "memory", "model": model_name, "float_file_bytes": sizes[0],
            "packed_file_bytes": sizes[1], "file_ratio": sizes[0] / sizes[1],
            "binary_layers_float_bytes": float_binary,
            "binary_layers_packed_bytes": packed_binary, "binary_layers_ratio": ratio,
            "rule": "binary layers >= 31x smaller", "verdict": ratio >= 31}


def claim_speed(threads=1, repeats=10):
    """Deck 004: XNOR convolutions are much faster on a CPU (~58×, counted in high-precision
    operations). Rule: the packed XNOR 3×3 512→512 convolution at 14×14 is ≥ 5× faster than
    PyTorch's float conv2d on the same threads (batch 1 and 16)."""
    torch = _setup(threads)
    rows = [r for r in layer_timings(torch, repeats) if r["layer"].startswith("3x3 512")]
    return {"claim": "speed", "threads": threads, "rows": rows,
            "rule": "torch/xnor >= 5 on 3x3x512", "verdict": all(r["torch/xnor"] >= 5
                                                                  for r in rows)}


def claim_accuracy(epochs=20, out=None):
    """Deck 004: accuracy falls from float to BWN to XNOR (56.7 → 53.8 → 44.2 % on ImageNet).
    Rule: on the bundled digits, LeNet-5 test accuracy float > BWN > XNOR, and BWN within 2
    points of float. Trains the three with the same settings (Adam, lr 1e-3, cosine)."""
    from gradwork.train.build import build_trainer  # noqa: PLC0415
    from gradwork.train.config import TrainConfig  # noqa: PLC0415
    acc = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("lenet5", "bwn_lenet5", "xnor_lenet5"):
            config = TrainConfig(model=name, epochs=epochs, optimizer="adam", lr=1e-3,
                                 out=out or tmp, name=name, progress=False)
            history = build_trainer(config).fit(epochs)
            acc[name] = history[-1]["val_acc1"]
    f, b, x = acc["lenet5"], acc["bwn_lenet5"], acc["xnor_lenet5"]
    return {"claim": "accuracy", "epochs": epochs, **acc,
            "rule": "float > bwn > xnor and float - bwn <= 0.02",
            "verdict": f > b > x and f - b <= 0.02}


def _print_rows(title, rows):
    print(f"\n{title}", file=sys.stderr)
    for r in rows:
        figures = "  ".join(f"{k} {v * 1e3:.2f} ms" if k in ("xnor", "gradwork", "torch")
                            else f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in r.items())
        print("  " + figures, file=sys.stderr)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=THREADS)
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--accuracy", type=int, metavar="EPOCHS", help="also train the LeNet-5s")
    args = p.parse_args(argv)
    torch = _setup(args.threads)
    repeats = 5 if args.quick else 15
    print(f"threads {args.threads}, load average {os.getloadavg()}", file=sys.stderr)
    layers = layer_timings(torch, repeats)
    _print_rows("per layer (median s; ratios of this run)", layers)
    nets = network_timings(torch, repeats)
    _print_rows("whole networks (inference)", nets)
    memory = claim_memory()
    print(json.dumps(memory))
    speed = [r for r in layers if r["layer"].startswith("3x3 512")]
    print(json.dumps({"claim": "speed", "threads": args.threads, "rows": speed,
                      "rule": "torch/xnor >= 5 on 3x3x512",
                      "verdict": all(r["torch/xnor"] >= 5 for r in speed)}))
    if args.accuracy:
        print(json.dumps(claim_accuracy(args.accuracy)))
    print(f"load average at the end {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
