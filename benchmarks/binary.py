"""Binary networks (issue 18, deck 004): speed of the packed XNOR + popcount convolution, whole
XNOR networks against their float twins, the memory of the packed file, and the accuracy
ordering float > BWN > XNOR. Not a test: it prints figures (and one JSON line per claim).

    python -m benchmarks.binary                   # layers, networks, memory (≈ 2 min)
    python -m benchmarks.binary --quick           # fewer repeats
    python -m benchmarks.binary --threads 1       # gradwork and PyTorch on one thread

Timings alternate the implementations round by round (so a load spike hits them alike) and
report each one's median; the ratios are of one run. The deck's three claims are
`gradwork reproduce binary_memory | xnor_speed | binary_accuracy` (gradwork/reproduce/binary.py,
which measures the XNOR kernel against gradwork's own float convolution); this benchmark adds
PyTorch's float convolution as the reference.
"""
import argparse
import json
import os
import sys

from gradwork.reproduce.binary import median_times as _median_times

from . import THREADS

LAYERS = [(256, 28, 1), (256, 28, 16), (512, 14, 1), (512, 14, 16)]    # (channels, side, N)


def _setup(threads):
    import torch

    from gradwork import threads as gw_threads
    torch.set_num_threads(threads)
    gw_threads.set_num_threads(threads)
    return torch


def layer_timings(torch, repeats):
    """Per layer (3×3, stride 1, padding 1, no bias): packed XNOR vs gradwork's float conv2d
    vs PyTorch's float conv2d, on the same input; rows of figures."""
    import gradwork as gw
    from gradwork import nn
    from gradwork.nn import functional as F
    from gradwork.nn.binary_packed import PackedBinaryConv2d
    rows = []
    for C, side, N in LAYERS:
        layer = nn.XNORConv2d(C, C, 3, padding=1, bias=False)
        packed = PackedBinaryConv2d.from_module(layer)
        x = gw.randn(N, C, side, side)
        w = gw.Tensor(layer.weight.detach().numpy().copy())
        xt, wt = torch.from_numpy(x.numpy()), torch.from_numpy(w.numpy())
        with gw.no_grad(), torch.no_grad():
            t = _median_times(
                {"xnor": lambda packed=packed, x=x: packed(x),
                 "gradwork": lambda x=x, w=w: F.conv2d(x, w, None, 1, 1),
                 "torch": lambda xt=xt, wt=wt: torch.nn.functional.conv2d(xt, wt, None, 1, 1)},
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
    from gradwork import nn
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
    t.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in
                       module.state_dict().items()})
    return t


def network_timings(torch, repeats, batches=(1, 8)):
    """XNOR AlexNet (packed) vs its float twin in gradwork and in PyTorch; XNOR ResNet-20
    (packed) vs its float twin in gradwork (inference, eval mode)."""
    import gradwork as gw
    from gradwork.models import get_model
    from gradwork.models.xnor_alexnet import BinaryAlexNet
    from gradwork.models.xnor_resnet import BinaryCifarResNet
    from gradwork.nn.binary_packed import pack_model
    rows = []
    xnor_alex = pack_model(get_model("xnor_alexnet").eval())
    float_alex = BinaryAlexNet("float").eval()
    torch_alex = _torch_twin(torch, float_alex.features).eval()
    torch_head = _torch_twin(torch, float_alex.classifier).eval()
    for N in batches:
        x = gw.randn(N, 3, 224, 224)
        xt = torch.from_numpy(x.numpy())
        with gw.no_grad(), torch.no_grad():
            t = _median_times({"xnor": lambda x=x: xnor_alex(x),
                               "gradwork": lambda x=x: float_alex(x),
                               "torch": lambda xt=xt: torch_head(torch_alex(xt).flatten(1))},
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


def claim_memory(model_name="xnor_alexnet"):
    """Deck 004: binary layers need ~32× less memory (the measurement of `gradwork reproduce
    binary_memory`). Rule: the binary layers' packed bytes are ≥ 31× smaller."""
    from gradwork.reproduce.binary import binary_layer_bytes
    layers, (float_file, packed_file) = binary_layer_bytes(model_name)
    float_binary = sum(f for f, _ in layers.values())
    packed_binary = sum(p for _, p in layers.values())
    ratio = float_binary / packed_binary
    return {"claim": "memory", "model": model_name, "float_file_bytes": float_file,
            "packed_file_bytes": packed_file, "file_ratio": float_file / packed_file,
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
    print(f"load average at the end {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
