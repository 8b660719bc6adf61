"""Deck 004's three claims about binary networks (Rastegari et al. 2016, XNOR-Net): binary
weights take ~32× less memory, XNOR convolutions run much faster on a CPU (the deck's 58×
counts high-precision operations replaced, not wall-clock time), and accuracy falls from float
to binary weights (BWN) to binary weights and inputs (XNOR)."""
import os
import statistics
import tempfile
import time

from .. import nn
from ..autograd import no_grad
from ..models import get_model
from ..nn import functional as F
from ..nn.binary_packed import PackedBinaryConv2d, export_packed
from ..ops import randn
from ..serialization import load, save
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import image_data, seeded, train
from .plotting import bars

# ---------------------------------------------------------------------------------- memory


def binary_layer_bytes(model_name):
    """{layer: (float32 bytes, packed bytes)} of every binary layer of the zoo model, measured
    on the two files gradwork writes (`save` of the state dict; `export_packed`)."""
    model = get_model(model_name).eval()
    names = [n for n, m in model.named_modules()
             if isinstance(m, (nn.BinaryConv2d, nn.BinaryLinear))]
    with tempfile.TemporaryDirectory() as tmp:
        dense, packed = os.path.join(tmp, "float.safetensors"), os.path.join(tmp, "packed.st")
        save(model.state_dict(), dense)
        export_packed(model, packed)
        a, b = load(dense, as_arrays=True), load(packed, as_arrays=True)
        files = os.path.getsize(dense), os.path.getsize(packed)

    def size(arrays, name, suffixes):
        return sum(arrays[f"{name}.{s}"].nbytes for s in suffixes if f"{name}.{s}" in arrays)
    layers = {n: (size(a, n, ("weight", "bias")), size(b, n, ("weight_bits", "alpha", "bias")))
              for n in names}
    return layers, files


def memory_experiment(ctx):
    model_name = "xnor_lenet5" if ctx.quick else "xnor_alexnet"
    layers, (float_file, packed_file) = binary_layer_bytes(model_name)
    rows = [{"model": model_name, "layer": n, "float_bytes": f, "packed_bytes": p,
             "ratio": f / p} for n, (f, p) in layers.items()]
    rows.append({"model": model_name, "layer": "all binary layers",
                 "float_bytes": sum(r["float_bytes"] for r in rows),
                 "packed_bytes": sum(r["packed_bytes"] for r in rows)})
    rows[-1]["ratio"] = rows[-1]["float_bytes"] / rows[-1]["packed_bytes"]
    rows.append({"model": model_name, "layer": "whole file", "float_bytes": float_file,
                 "packed_bytes": packed_file, "ratio": float_file / packed_file})
    return rows


def decide_memory(rows):
    """Holds if the binary layers, as stored in the packed file (1 bit per weight + a float32
    α per output channel + bias), are at least 31× smaller than their float32 weights."""
    total = next(r for r in rows if r["layer"] == "all binary layers")
    whole = next(r for r in rows if r["layer"] == "whole file")
    numbers = {"model": total["model"], "binary_layers_ratio": total["ratio"],
               "whole_file_ratio": whole["ratio"]}
    return Verdict(HOLDS if total["ratio"] >= 31 else DOES_NOT_HOLD, numbers)


def plot_memory(rows, path, ctx):
    return bars(path, [r["layer"] for r in rows], ["float32", "packed 1-bit"],
                [[r["float_bytes"] for r in rows], [r["packed_bytes"] for r in rows]],
                "bytes (log)", f"{rows[0]['model']}: float32 vs packed binary layers",
                log_y=True)


BINARY_MEMORY = Claim(
    "binary_memory", "004_88eb7e677c5ff7c1.txt", "Binary-weight networks / XNOR-Net",
    "Binary weights need ~32× less memory than float32 weights.",
    "Rastegari, Ordonez, Redmon & Farhadi 2016 (XNOR-Net), §1 and Fig. 1",
    "holds if XNOR AlexNet's binary layers, stored packed (1 bit per weight, a float32 α per "
    "output channel, the bias), are ≥ 31× smaller on disk than as float32",
    memory_experiment, decide_memory, plot_memory, "≈ 30 s")

# ----------------------------------------------------------------------------------- speed
_SPEED_LAYERS = [(256, 28, 1), (256, 28, 16), (512, 14, 1), (512, 14, 16)]


def median_times(fns, repeats):
    """{name: median seconds}, the functions alternating round by round (a load spike hits
    them alike)."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def speed_experiment(ctx):
    layers, repeats = ([(64, 8, 1)], 2) if ctx.quick else (_SPEED_LAYERS, 15)
    rows = []
    for seed in ctx.seeds:
        for channels, side, batch in layers:
            layer = seeded(seed, lambda channels=channels: nn.XNORConv2d(channels, channels, 3,
                                                                         padding=1, bias=False))
            packed = PackedBinaryConv2d.from_module(layer)
            x = randn(batch, channels, side, side)
            w = layer.weight.detach()
            with no_grad():
                t = median_times({"xnor": lambda packed=packed, x=x: packed(x),
                                   "float": lambda x=x, w=w: F.conv2d(x, w, None, 1, 1)},
                                  repeats)
            rows.append({"seed": seed, "layer": f"3x3 {channels}->{channels} at {side}x{side}",
                         "channels": channels, "batch": batch, "xnor_s": t["xnor"],
                         "float_s": t["float"], "speedup": t["float"] / t["xnor"],
                         "loadavg_1m": os.getloadavg()[0]})
    return rows


def decide_speed(rows):
    """Holds if, in every seed, the packed XNOR convolution is ≥ 5× faster than gradwork's
    float32 conv2d on the 3×3 512→512 layer at 14×14 (batch 1 and 16)."""
    big = [r for r in rows if r["channels"] == 512]
    if not big:
        return Verdict(INCONCLUSIVE, {}, "no 3×3×512 layer measured (quick mode)")
    numbers = {f"seed{r['seed']}_batch{r['batch']}_speedup": r["speedup"] for r in big}
    numbers.update({f"seed{r['seed']}_256_batch{r['batch']}_speedup": r["speedup"]
                    for r in rows if r["channels"] == 256})
    return Verdict(HOLDS if all(r["speedup"] >= 5 for r in big) else DOES_NOT_HOLD, numbers)


def plot_speed(rows, path, ctx):
    seed = min(r["seed"] for r in rows)
    pts = [r for r in rows if r["seed"] == seed]
    return bars(path, [f"{r['layer']}\nbatch {r['batch']}" for r in pts],
                ["float32 conv2d", "packed XNOR"],
                [[1e3 * r["float_s"] for r in pts], [1e3 * r["xnor_s"] for r in pts]],
                "milliseconds (log)", "XNOR + popcount vs float convolution (same threads)",
                log_y=True)


XNOR_SPEED = Claim(
    "xnor_speed", "004_88eb7e677c5ff7c1.txt", "XNOR-Net: binary operations",
    "XNOR + bitcount convolutions are much faster on a CPU than float convolutions (the deck "
    "quotes ~58×, counted in high-precision operations).",
    "Rastegari et al. 2016, §3.2 and Fig. 4",
    "holds if, in every seed, the bit-packed XNOR + popcount 3×3 512→512 convolution at 14×14 "
    "is ≥ 5× faster (wall-clock median, same threads) than gradwork's float32 conv2d, at batch "
    "1 and 16",
    speed_experiment, decide_speed, plot_speed, "≈ 1 min", default_seeds=1)

# -------------------------------------------------------------------------------- accuracy
_NETS = ("lenet5", "bwn_lenet5", "xnor_lenet5")


def accuracy_experiment(ctx):
    train_set, test_set = image_data(ctx, 4000, 1000, pad=2)
    rows = []
    for seed in ctx.seeds:
        for name in _NETS:
            ctx.log(f"{name}, seed {seed}")
            model = seeded(seed, lambda name=name: get_model(name))
            for r in train(model, train_set, test_set, epochs=1 if ctx.quick else 20,
                           lr=0.05, seed=seed, cosine=True):
                rows.append({"seed": seed, "model": name, **r})
    return rows


def decide_accuracy(rows):
    """Holds if, in every seed, the final test accuracy orders float > BWN > XNOR and BWN is
    within 2 points of float; does not hold if the order is broken in every seed."""
    final = {(r["model"], r["seed"]): 1 - r["test_err"] for r in rows}
    ok, ordered, numbers = [], [], {}
    for s in sorted({r["seed"] for r in rows}):
        f, b, x = (final[(n, s)] for n in _NETS)
        ordered.append(f > b > x)
        ok.append(f > b > x and f - b <= 0.02)
        numbers.update({f"seed{s}_float": f, f"seed{s}_bwn": b, f"seed{s}_xnor": x})
    if all(ok):
        return Verdict(HOLDS, numbers)
    return Verdict(DOES_NOT_HOLD if not any(ordered) else INCONCLUSIVE, numbers)


def plot_accuracy(rows, path, ctx):
    seeds = sorted({r["seed"] for r in rows})
    values = [[100 * (1 - [r for r in rows if r["model"] == n and r["seed"] == s][-1][
        "test_err"]) for n in _NETS] for s in seeds]
    return bars(path, ["float LeNet-5", "BWN LeNet-5", "XNOR LeNet-5"],
                [f"seed {s}" for s in seeds], values, "test accuracy (%)",
                "Float vs binary weights vs XNOR (bundled digits)")


BINARY_ACCURACY = Claim(
    "binary_accuracy", "004_88eb7e677c5ff7c1.txt", "Binary-weight networks / XNOR-Net results",
    "Binarising costs accuracy: float > binary weights (BWN) > binary weights and inputs "
    "(XNOR); AlexNet on ImageNet 56.7 → 53.8 → 44.2 %.",
    "Rastegari et al. 2016, Table 1",
    "holds if, in every seed, LeNet-5's final test accuracy orders float > BWN > XNOR with BWN "
    "within 2 points of float (4,000 digits, 20 epochs of SGD 0.05, momentum 0.9, cosine)",
    accuracy_experiment, decide_accuracy, plot_accuracy, "≈ 5 min (1 seed)", default_seeds=1)
