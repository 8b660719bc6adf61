"""Dropping the learning rate on a plateau (deck 002's AlexNet and ResNet recipes: divide it by
10 when the validation error stops improving) against a constant rate."""
from ..models.lenet import LeNet5
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import image_data, in_channels, seeded, train
from .plotting import curves


def plateau_experiment(ctx):
    train_set, test_set, val_set = image_data(ctx, 4000, 1000, val_fraction=0.1)
    rows = []
    for seed in ctx.seeds:
        for plateau in (False, True):
            name = "÷10 on plateau" if plateau else "constant"
            ctx.log(f"{name}, seed {seed}")
            model = seeded(seed, lambda: LeNet5(10, in_channels(ctx), input_size=28))
            for r in train(model, train_set, test_set, epochs=2 if ctx.quick else 15, lr=0.1,
                           seed=seed, val_set=val_set, plateau=plateau):
                rows.append({"seed": seed, "schedule": name, **r})
    return rows


def decide_plateau(rows):
    """Holds if, in every seed, the plateau schedule divided the rate at least once and ends
    with a lower test error than the constant rate; does not hold if it ends higher or
    equal in every seed."""
    better, numbers = [], {}
    for s in sorted({r["seed"] for r in rows}):
        const = [r for r in rows if r["seed"] == s and r["schedule"] == "constant"]
        drop = [r for r in rows if r["seed"] == s and r["schedule"] != "constant"]
        dropped = drop[-1]["lr"] < drop[0]["lr"]
        better.append(dropped and drop[-1]["test_err"] < const[-1]["test_err"])
        numbers.update({f"seed{s}_constant_test_err": const[-1]["test_err"],
                        f"seed{s}_plateau_test_err": drop[-1]["test_err"],
                        f"seed{s}_plateau_final_lr": drop[-1]["lr"]})
    if all(better):
        return Verdict(HOLDS, numbers)
    return Verdict(DOES_NOT_HOLD if not any(better) else INCONCLUSIVE, numbers)


def plot_plateau(rows, path, ctx):
    panels = []
    for key, label in (("val_err", "validation error (%)"), ("test_err", "test error (%)")):
        series = []
        for sched in dict.fromkeys(r["schedule"] for r in rows):
            for seed in sorted({r["seed"] for r in rows}):
                pts = [r for r in rows if r["schedule"] == sched and r["seed"] == seed]
                series.append((f"{sched} (seed {seed})", [r["epoch"] for r in pts],
                               [100 * r[key] for r in pts]))
        panels.append((label, "epoch", label, series, False))
    return curves(path, panels, "LeNet-5, lr 0.1: constant vs ÷10 on a validation plateau")


PLATEAU = Claim(
    "lr_plateau", "002_9b771e4956dc7017.txt", "AlexNet / ResNet training recipes",
    "Dividing the learning rate by 10 when the validation error plateaus ends at a lower "
    "error than keeping it constant.",
    "Krizhevsky et al. 2012 §5; He et al. 2016 §3.4",
    "holds if, in every seed, ReduceLROnPlateau (÷10 after 2 epochs without a better "
    "validation error, validation = 10 % held out of the training digits) divided the rate "
    "at least once and LeNet-5 ends with a lower test error than at the constant rate 0.1 "
    "(SGD momentum 0.9, 3,600 digits, 15 epochs)",
    plateau_experiment, decide_plateau, plot_plateau, "≈ 3 min (3 seeds)", default_seeds=3,
    data_options=("mnist", "fashion-mnist"))
