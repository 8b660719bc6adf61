"""DenseNet-BC's parameter efficiency (deck 004, Huang et al. 2017 Fig. 3 and Table 2):
DenseNet-BC reaches the accuracy of a ResNet with a fraction of its parameters. Here: CIFAR
DenseNet-BC (k = 12) at depths 16 and 28 against CIFAR ResNets 8 and 20 on the bundled
digits."""
from ..models.cifar_resnet import CifarResNet
from ..models.densenet import DenseNetCIFAR
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import image_data, in_channels, seeded, train
from .plotting import curves

_MODELS = {"ResNet-8": lambda c: CifarResNet(8, 10, in_channels=c),
           "ResNet-20": lambda c: CifarResNet(20, 10, in_channels=c),
           "DenseNet-BC-16 (k=12)": lambda c: DenseNetCIFAR(16, 12, num_classes=10,
                                                            in_channels=c),
           "DenseNet-BC-28 (k=12)": lambda c: DenseNetCIFAR(28, 12, num_classes=10,
                                                            in_channels=c)}


def efficiency_experiment(ctx):
    train_set, test_set = image_data(ctx, 2000, 1000)
    rows, channels = [], in_channels(ctx)
    names = list(_MODELS)[::2] if ctx.quick else list(_MODELS)
    for seed in ctx.seeds:
        for name in names:
            ctx.log(f"{name}, seed {seed}")
            model = seeded(seed, lambda name=name: _MODELS[name](channels))
            history = train(model, train_set, test_set, epochs=1 if ctx.quick else 5, lr=0.05,
                            weight_decay=1e-4, seed=seed)
            rows.append({"seed": seed, "model": name,
                         "params": sum(p.numel() for p in model.parameters()),
                         "test_err": history[-1]["test_err"],
                         "seconds": history[-1]["seconds"]})
    return rows


def decide_efficiency(rows):
    """Holds if, in every seed, the larger DenseNet-BC (fewer than half ResNet-20's
    parameters) ends with a test error no higher than ResNet-20's; does not hold if it ends
    higher in every seed."""
    pick = {(r["model"], r["seed"]): r for r in rows}
    ok, numbers = [], {}
    for s in sorted({r["seed"] for r in rows}):
        dense, res = pick.get(("DenseNet-BC-28 (k=12)", s)), pick.get(("ResNet-20", s))
        if dense is None or res is None:
            return Verdict(INCONCLUSIVE, {}, "DenseNet-BC-28 or ResNet-20 not run (quick mode)")
        ok.append(dense["test_err"] <= res["test_err"])
        numbers.update({f"seed{s}_{m.split(' ')[0]}_{k}": pick[(m, s)][k]
                        for m in _MODELS if (m, s) in pick for k in ("params", "test_err")})
    if all(ok):
        return Verdict(HOLDS, numbers)
    return Verdict(DOES_NOT_HOLD if not any(ok) else INCONCLUSIVE, numbers)


def plot_efficiency(rows, path, ctx):
    series = []
    for family in ("ResNet", "DenseNet-BC"):
        pts = [r for r in rows if r["model"].startswith(family + "-")]
        pts.sort(key=lambda r: r["params"])
        series.append((family, [r["params"] / 1e3 for r in pts],
                       [100 * r["test_err"] for r in pts]))
    return curves(path, [("test error vs parameters", "parameters (thousands)",
                          "test error (%)", series, False)],
                  "DenseNet-BC vs ResNet on the bundled digits (Huang et al. 2017, Fig. 3)")


DENSENET_EFFICIENCY = Claim(
    "densenet_efficiency", "004_88eb7e677c5ff7c1.txt", "DenseNet-BC",
    "DenseNet-BC matches a ResNet's accuracy with a fraction of its parameters.",
    "Huang, Liu, van der Maaten & Weinberger 2017, Fig. 3",
    "holds if, in every seed, DenseNet-BC-28 (k=12, 0.10 M parameters) ends with a test "
    "error no higher than ResNet-20's (0.27 M) after the same training (2,000 digits, 5 "
    "epochs of SGD 0.05 with momentum 0.9, wd 1e-4)",
    efficiency_experiment, decide_efficiency, plot_efficiency, "≈ 8 min (2 seeds)",
    default_seeds=2, data_options=("mnist", "fashion-mnist", "cifar10"))
