"""Residual vs plain (deck 000, He et al. 2016 Fig. 1 and 6): a deeper plain net trains to a
higher training error than a shallower one (degradation); with shortcuts the deeper net does
not degrade. CIFAR-style nets (§4.2) at half the width, on the bundled digits."""
from ..models.cifar_resnet import CifarResNet
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import image_data, in_channels, seeded, train
from .plotting import curves

_WIDTHS = (8, 16, 32)      # half of He et al.'s (16, 32, 64), to fit the 10-minute budget


def _depths(ctx):
    return (8, 14) if ctx.quick else (20, 56)


def residual_experiment(ctx):
    train_set, test_set = image_data(ctx, 2000, 500)
    epochs = 1 if ctx.quick else 6
    rows, channels = [], in_channels(ctx)
    for seed in ctx.seeds:
        for depth in _depths(ctx):
            for plain in (True, False):
                name = f"{'plain' if plain else 'resnet'}-{depth}"
                ctx.log(f"{name}, seed {seed}")
                model = seeded(seed, lambda depth=depth, plain=plain: CifarResNet(
                    depth, 10, plain=plain, in_channels=channels, widths=_WIDTHS))
                for r in train(model, train_set, test_set, epochs=epochs, lr=0.05,
                               weight_decay=1e-4, seed=seed):
                    rows.append({"seed": seed, "model": name, "depth": depth,
                                 "residual": not plain, **r})
    return rows


def _final(rows, model, seed):
    return [r for r in rows if r["model"] == model and r["seed"] == seed][-1]["train_err"]


def decide_residual(rows):
    """Holds if, in every seed, the deeper plain net ends with a higher training error than
    the shallower plain net (degradation) while the deeper ResNet ends below the deeper plain
    net and no more than 1 point above the shallower ResNet. Does not hold if the deeper plain
    net does not degrade in any seed."""
    depths = sorted({r["depth"] for r in rows})
    shallow, deep = depths[0], depths[-1]
    seeds = sorted({r["seed"] for r in rows})
    degrade, rescued, numbers = [], [], {}
    for s in seeds:
        p_s, p_d = _final(rows, f"plain-{shallow}", s), _final(rows, f"plain-{deep}", s)
        r_s, r_d = _final(rows, f"resnet-{shallow}", s), _final(rows, f"resnet-{deep}", s)
        degrade.append(p_d > p_s)
        rescued.append(r_d < p_d and r_d <= r_s + 0.01)
        numbers.update({f"seed{s}_plain{shallow}": p_s, f"seed{s}_plain{deep}": p_d,
                        f"seed{s}_resnet{shallow}": r_s, f"seed{s}_resnet{deep}": r_d})
    if all(degrade) and all(rescued):
        return Verdict(HOLDS, numbers)
    if not any(degrade):
        return Verdict(DOES_NOT_HOLD, numbers, "the deeper plain net did not degrade")
    if not any(rescued):
        return Verdict(DOES_NOT_HOLD, numbers, "the deeper ResNet did not escape the "
                       "degradation")
    return Verdict(INCONCLUSIVE, numbers, "the seeds disagree")


def plot_residual(rows, path, ctx):
    panels = []
    for residual in (False, True):
        series = []
        for model in dict.fromkeys(r["model"] for r in rows if r["residual"] == residual):
            for seed in sorted({r["seed"] for r in rows}):
                pts = [r for r in rows if r["model"] == model and r["seed"] == seed]
                series.append((f"{model} (seed {seed})", [r["epoch"] for r in pts],
                               [100 * r["train_err"] for r in pts]))
        panels.append(("ResNets" if residual else "plain nets", "epoch",
                       "training error (%)", series, False))
    return curves(path, panels, "Training error: plain vs residual (He et al. 2016, Fig. 6)")


RESIDUAL_VS_PLAIN = Claim(
    "residual_vs_plain", "000_3d6ebcc1da027892.txt", "Residual Networks / ResNet Performance",
    "A deeper plain net has higher training error than a shallower one; residual "
    "connections remove this degradation.",
    "He, Zhang, Ren & Sun 2016, Fig. 1 and Fig. 6",
    "holds if, in every seed, plain-56's final training error exceeds plain-20's while "
    "ResNet-56 ends below plain-56 and within 1 point of ResNet-20 (CIFAR-style nets at half "
    "width, 2,000 bundled digits, 6 epochs of SGD 0.05 with momentum 0.9, wd 1e-4)",
    residual_experiment, decide_residual, plot_residual, "≈ 6 min (3 seeds)",
    default_seeds=3, data_options=("mnist", "fashion-mnist", "cifar10"))
