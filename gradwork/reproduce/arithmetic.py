"""Counting claims, checked on real layers: conv output sizes and parameter counts (deck 002),
VGG-16's memory and parameter table (deck 002), ResNet FLOPs (deck 000, He et al. 2016
Table 1) and the Inception module's 1×1 reductions (decks 000/002, Szegedy et al. 2015)."""
from fractions import Fraction

from .. import nn
from ..autograd import Tensor, no_grad
from ..backend import np
from ..tools.summary import summary
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import bars

# ---------------------------------------------------------------- conv arithmetic (deck 002)
# (what the deck says, N, C_in, K filters, F, S, P, the deck's output side or None if "does not
# fit", the deck's parameter count or None where it gives none)
_CONV_EXAMPLES = [
    ("32x32x3, ten 5x5 filters, stride 1, pad 2", 32, 3, 10, 5, 1, 2, 32, 760),
    ("7x7, 3x3 filter, stride 1", 7, 1, 1, 3, 1, 0, 5, None),
    ("7x7, 3x3 filter, stride 2", 7, 1, 1, 3, 2, 0, 3, None),
    ("7x7, 3x3 filter, stride 3 (does not fit)", 7, 1, 1, 3, 3, 0, None, None),
    ("7x7, 3x3 filter, stride 1, pad 1", 7, 1, 1, 3, 1, 1, 7, None),
    ("F=5, pad (F-1)/2 = 2 keeps the size", 32, 3, 8, 5, 1, 2, 32, None),
    ("F=7, pad (F-1)/2 = 3 keeps the size", 32, 3, 8, 7, 1, 3, 32, None),
    ("1x1 conv, 32 filters on a 56x56x64 volume", 56, 64, 32, 1, 1, 0, 56, 2080),
    ("AlexNet CONV1: 96 11x11 filters at stride 4, pad 0 on 227x227x3", 227, 3, 96, 11, 4, 0,
     55, 34944),
]


def conv_arithmetic_experiment(ctx):
    rows = []
    for text, n, c, k, f, s, p, deck_out, deck_params in _CONV_EXAMPLES:
        exact = Fraction(n - f + 2 * p, s) + 1          # W2 = (W1 − F + 2P)/S + 1
        layer = nn.Conv2d(c, k, f, stride=s, padding=p)
        with no_grad():
            out = layer(Tensor(np.zeros((1, c, n, n), dtype=np.float32)))
        rows.append({"example": text, "formula_output": float(exact),
                     "formula_fits": exact.denominator == 1,
                     "deck_output": deck_out if deck_out is not None else "",
                     "layer_output": out.shape[-1],
                     "formula_params": (f * f * c) * k + k,
                     "deck_params": deck_params if deck_params is not None else "",
                     "layer_params": sum(q.numel() for q in layer.parameters())})
    return rows


def decide_conv_arithmetic(rows):
    """Holds if every example's formula, the deck's number and the real layer agree; an
    example the deck says does not fit must give a non-integer formula (the layer floors)."""
    bad = []
    for r in rows:
        if r["deck_output"] == "":
            ok = not r["formula_fits"] and r["layer_output"] == int(r["formula_output"])
        else:
            ok = r["formula_fits"] and r["deck_output"] == r["layer_output"] \
                == r["formula_output"]
        if r["deck_params"] != "":
            ok = ok and r["deck_params"] == r["layer_params"] == r["formula_params"]
        ok = ok and r["layer_params"] == r["formula_params"]
        if not ok:
            bad.append(r["example"])
    return Verdict(DOES_NOT_HOLD if bad else HOLDS,
                   {"examples": len(rows), "disagreements": len(bad)}, "; ".join(bad))


def plot_conv_arithmetic(rows, path, ctx):
    labels = [str(i + 1) for i in range(len(rows))]
    return bars(path, labels, ["formula (W-F+2P)/S+1", "real layer"],
                [[r["formula_output"] for r in rows], [r["layer_output"] for r in rows]],
                "output side", "Conv output size: formula vs gradwork.nn.Conv2d (deck 002)")


CONV_ARITHMETIC = Claim(
    "conv_arithmetic", "002_9b771e4956dc7017.txt", "Examples time / Summary (the Conv Layer)",
    "A conv layer maps W1 to (W1 − F + 2P)/S + 1 and has (F·F·D1)·K weights and K biases "
    "(32x32x3 with ten 5x5 filters: 760 parameters).",
    "deck 002 (CS231n conv layer summary)",
    "holds if, for each of the deck's worked examples, the formula, the deck's number and a "
    "real gradwork Conv2d agree on the output side and parameter count (a stride the deck "
    "says does not fit must give a non-integer formula)",
    conv_arithmetic_experiment, decide_conv_arithmetic, plot_conv_arithmetic, "1 s")

# ------------------------------------------------------------------- VGG-16 table (deck 002)
# deck 002's rows: (layer, output side, channels, the deck's memory in values, its params)
_VGG_DECK = [("CONV3-64", 224, 64, 3.2e6, 1728), ("CONV3-64", 224, 64, 3.2e6, 36864),
             ("POOL2", 112, 64, 800e3, 0), ("CONV3-128", 112, 128, 1.6e6, 73728),
             ("CONV3-128", 112, 128, 1.6e6, 147456), ("POOL2", 56, 128, 400e3, 0),
             ("CONV3-256", 56, 256, 800e3, 294912), ("CONV3-256", 56, 256, 800e3, 589824),
             ("CONV3-256", 56, 256, 800e3, 589824), ("POOL2", 28, 256, 200e3, 0),
             ("CONV3-512", 28, 512, 400e3, 1179648), ("CONV3-512", 28, 512, 400e3, 2359296),
             ("CONV3-512", 28, 512, 400e3, 2359296), ("POOL2", 14, 512, 100e3, 0),
             ("CONV3-512", 14, 512, 100e3, 2359296), ("CONV3-512", 14, 512, 100e3, 2359296),
             ("CONV3-512", 14, 512, 100e3, 2359296), ("POOL2", 7, 512, 25e3, 0),
             ("FC", 1, 4096, 4096, 102760448), ("FC", 1, 4096, 4096, 16777216),
             ("FC", 1, 1000, 1000, 4096000)]
_VGG_DECK_TOTAL_VALUES, _VGG_DECK_TOTAL_MB, _VGG_DECK_TOTAL_PARAMS = 24e6, 93, 138e6


def vgg16_experiment(ctx):
    from ..models import vgg16
    side = 32 if ctx.quick else 224
    model = vgg16(num_classes=1000)
    table = summary(model, (3, side, side))
    rows = [{"layer": "INPUT", "deck_side": 224, "side": side, "channels": 3,
             "deck_values": 150e3, "values": 3 * side * side, "deck_params": 0, "weights": 0,
             "params_with_bias": 0}]
    kept = [r for r in table.rows if r.type in ("Conv2d", "MaxPool2d", "Linear")]
    for (name, side, _ch, deck_values, deck_params), r in zip(_VGG_DECK, kept):
        shape = r.output_shape
        weights = r.params - (shape[1] if r.params else 0)       # the deck counts no biases
        rows.append({"layer": f"{name} ({r.name})", "deck_side": side,
                     "side": shape[-1] if len(shape) == 4 else 1, "channels": shape[1],
                     "deck_values": deck_values, "values": int(np.prod(shape[1:])),
                     "deck_params": deck_params, "weights": weights,
                     "params_with_bias": r.params})
    rows.append({"layer": "TOTAL", "deck_values": _VGG_DECK_TOTAL_VALUES,
                 "values": sum(r["values"] for r in rows),
                 "deck_params": _VGG_DECK_TOTAL_PARAMS, "weights": sum(r["weights"]
                                                                       for r in rows),
                 "params_with_bias": table.total_params,
                 "deck_rows_sum_values": sum(r["deck_values"] for r in rows),
                 "all_outputs_values": table.activation_bytes // 4})
    return rows


def decide_vgg16(rows):
    """Holds if every row's shape and weight count equal the deck's (memory within the deck's
    rounding, 10 %), the parameters total 138 M ± 1 %, and the deck's memory total (24 M values
    ≈ 93 MB) is within 10 % of the measured forward activations."""
    layers, total = rows[:-1], rows[-1]
    bad = [r["layer"] for r in layers
           if r["deck_side"] != r["side"] or r["deck_params"] != r["weights"]
           or abs(r["values"] - r["deck_values"]) > 0.1 * r["deck_values"]]
    params_ok = abs(total["params_with_bias"] - total["deck_params"]) <= 0.01 * 138e6
    memory_ratio = total["deck_values"] / total["values"]
    numbers = {"rows_matching": len(layers) - len(bad), "rows": len(layers),
               "params_M": total["params_with_bias"] / 1e6,
               "measured_activations_M": total["values"] / 1e6,
               "measured_MB": total["values"] * 4 / 1e6,
               "deck_rows_sum_M": total["deck_rows_sum_values"] / 1e6,
               "deck_total_M": total["deck_values"] / 1e6}
    if bad or not params_ok:
        return Verdict(DOES_NOT_HOLD, numbers, "rows that differ: " + ", ".join(bad))
    if abs(memory_ratio - 1) > 0.10:
        return Verdict(DOES_NOT_HOLD, numbers,
                       "every row and the 138 M parameters hold, but the deck's memory total "
                       f"(24 M values ≈ 93 MB) is not the sum of its own rows "
                       f"({numbers['deck_rows_sum_M']:.1f} M values ≈ "
                       f"{numbers['deck_rows_sum_M'] * 4:.0f} MB), which is what a forward "
                       "pass with activations in place measures")
    return Verdict(HOLDS, numbers)


def plot_vgg16(rows, path, ctx):
    layers = rows[:-1]
    return bars(path, [r["layer"].split(" ")[0] for r in layers],
                ["deck 002 (values)", "measured (values)"],
                [[r["deck_values"] for r in layers], [r["values"] for r in layers]],
                "activations per image (values)", "VGG-16 memory per layer: deck vs gradwork",
                log_y=True)


VGG16_TABLE = Claim(
    "vgg16_memory", "002_9b771e4956dc7017.txt", "VGGNet",
    "VGG-16 needs ≈ 24 M activations ≈ 93 MB per image (forward) and has 138 M parameters; the "
    "per-layer table.",
    "Simonyan & Zisserman 2015 (table from CS231n)",
    "holds if every row's output shape and weight count equal the deck's, its memory is "
    "within 10 % of the deck's rounded figure, the parameters total 138 M ± 1 %, and the "
    "deck's memory total is within 10 % of the measured forward activations (activations in "
    "place, as the deck's rows count them)",
    vgg16_experiment, decide_vgg16, plot_vgg16, "15 s")

# ----------------------------------------------------------- ResNet FLOPs (deck 000, Table 1)
_RESNET_TABLE_GMACS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}


def resnet_flops_experiment(ctx):
    from ..models import resnet
    side = 32 if ctx.quick else 224
    depths = (18, 50) if ctx.quick else tuple(_RESNET_TABLE_GMACS)
    rows = []
    for depth in depths:
        for variant, stride_in_1x1 in (("v1 (paper)", True), ("v1.5 (torchvision)", False)):
            if depth < 50 and stride_in_1x1:
                variant_kwargs = {}                   # basic blocks: both variants coincide
            else:
                variant_kwargs = {"stride_in_1x1": stride_in_1x1}
            model = getattr(resnet, f"resnet{depth}")(**variant_kwargs)
            table = summary(model, (3, side, side))
            rows.append({"depth": depth, "variant": variant, "input": side,
                         "gmacs": table.total_macs / 1e9, "gflops": 2 * table.total_macs / 1e9,
                         "table_gmacs": _RESNET_TABLE_GMACS[depth],
                         "params_M": table.total_params / 1e6})
    return rows


def decide_resnet_flops(rows):
    """Holds if, at 224×224, the paper's variant (v1: stride on the first 1×1) gives each
    depth's Table 1 figure to ±0.1 G multiply-adds (He et al.'s "FLOPs" are multiply-adds)."""
    v1 = [r for r in rows if r["variant"].startswith("v1 ") and r["input"] == 224]
    if not v1:
        return Verdict(INCONCLUSIVE, {}, "no 224×224 rows (quick mode)")
    off = [r["depth"] for r in v1 if abs(r["gmacs"] - r["table_gmacs"]) > 0.1]
    numbers = {f"resnet{r['depth']}_v1_GMACs": r["gmacs"] for r in v1}
    numbers.update({f"resnet{r['depth']}_v1.5_GMACs": r["gmacs"] for r in rows
                    if r["variant"].startswith("v1.5") and r["depth"] >= 50})
    return Verdict(DOES_NOT_HOLD if off else HOLDS, numbers,
                   f"depths off the table: {off}" if off else "")


def plot_resnet_flops(rows, path, ctx):
    depths = sorted({r["depth"] for r in rows})
    pick = {(r["depth"], r["variant"][:4]): r["gmacs"] for r in rows}
    return bars(path, [f"ResNet-{d}" for d in depths],
                ["He et al. Table 1", "v1 (paper's strides)", "v1.5 (torchvision)"],
                [[_RESNET_TABLE_GMACS[d] for d in depths], [pick[(d, "v1 (")] for d in depths],
                 [pick[(d, "v1.5")] for d in depths]],
                "G multiply-adds per 224×224 image", "ResNet cost (deck 000's table)")


RESNET_FLOPS = Claim(
    "resnet_flops", "000_3d6ebcc1da027892.txt", "Residual Network Architecture",
    "ResNet-18/34/50/101/152 cost 1.8/3.6/3.8/7.6/11.3 × 10⁹ FLOPs (multiply-adds) per image.",
    "He, Zhang, Ren & Sun 2016, Table 1",
    "holds if the paper's variant (stride on the bottleneck's first 1×1) measured on real "
    "layers at 224×224 gives each depth's figure to ±0.1 G multiply-adds; torchvision's v1.5 "
    "(stride on the 3×3) is reported beside it",
    resnet_flops_experiment, decide_resnet_flops, plot_resnet_flops, "1 min")

# ------------------------------------------------ Inception 1×1 reductions (decks 000 / 002)
# GoogLeNet's inception (3a) on 28×28×192 (Szegedy et al. 2015, Table 1)
_INCEPTION_3A = dict(in_channels=192, ch1x1=64, ch3x3red=96, ch3x3=128, ch5x5red=16, ch5x5=32,
                     pool_proj=32)


class NaiveInception(nn.Module):
    """The inception module without its 1×1 reductions (Szegedy et al. 2015, Fig. 2a):
    1×1, 3×3 and 5×5 convolutions and 3×3 max-pooling side by side on the input."""

    def __init__(self, in_channels, ch1x1, ch3x3, ch5x5):
        super().__init__()
        self.branch1 = nn.Conv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Conv2d(in_channels, ch3x3, 3, padding=1)
        self.branch3 = nn.Conv2d(in_channels, ch5x5, 5, padding=2)
        self.branch4 = nn.MaxPool2d(3, 1, padding=1)

    def forward(self, x):
        from ..ops import cat
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def inception_experiment(ctx):
    from ..models.googlenet import Inception
    c = _INCEPTION_3A
    modules = {"naive (Fig. 2a)": NaiveInception(c["in_channels"], c["ch1x1"], c["ch3x3"],
                                                 c["ch5x5"]),
               "with 1×1 reductions (Fig. 2b)": Inception(**c)}
    rows = []
    for name, module in modules.items():
        table = summary(module, (c["in_channels"], 28, 28))
        with no_grad():
            out = module(Tensor(np.zeros((1, c["in_channels"], 28, 28), dtype=np.float32)))
        rows.append({"module": name, "params": table.total_params, "macs": table.total_macs,
                     "output_channels": out.shape[1]})
    return rows


def decide_inception(rows):
    """Holds if the 1×1 reductions cut both the parameters and the multiply-adds of
    inception (3a) by more than 2×."""
    naive, reduced = rows
    numbers = {"naive_params": naive["params"], "reduced_params": reduced["params"],
               "naive_GMACs": naive["macs"] / 1e9, "reduced_GMACs": reduced["macs"] / 1e9,
               "macs_ratio": naive["macs"] / reduced["macs"],
               "params_ratio": naive["params"] / reduced["params"]}
    ok = numbers["macs_ratio"] > 2 and numbers["params_ratio"] > 2
    return Verdict(HOLDS if ok else DOES_NOT_HOLD, numbers)


def plot_inception(rows, path, ctx):
    return bars(path, ["parameters", "multiply-adds"], [r["module"] for r in rows],
                [[r["params"], r["macs"]] for r in rows], "count (log)",
                "Inception (3a) on 28×28×192: 1×1 reductions", log_y=True)


INCEPTION_1X1 = Claim(
    "inception_1x1", "002_9b771e4956dc7017.txt", "1x1 convolutions / GoogLeNet",
    "1×1 convolutions that reduce the depth before the 3×3 and 5×5 convolutions make the "
    "inception module several times cheaper.",
    "Szegedy et al. 2015, §5 and Fig. 2",
    "holds if, on inception (3a) at 28×28×192, the reductions cut both parameters and "
    "multiply-adds by more than 2× (measured on real layers)",
    inception_experiment, decide_inception, plot_inception, "2 s")
