"""Regularisation claims of deck 002 (and 001): dropout and data augmentation shrink the gap
between training and test accuracy on a small training set; L1 drives weights to (nearly)
zero where L2 shrinks them all."""
from ..backend import np
from ..models.lenet import LeNet5
from ..nn.penalty import elastic_net_penalty, l1_penalty, l2_penalty
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import evaluate, image_data, in_channels, mlp, seeded, train
from .plotting import bars


def _gap_rows(ctx, variants, n_train, epochs, lr):
    """Train each (name, build, augment) on the first n_train samples and record the final
    clean train and test accuracy (both measured in eval mode) and their gap."""
    rows = []
    for seed in ctx.seeds:
        for name, build, augment in variants:
            train_set, test_set = image_data(ctx, n_train, 1000, augment=augment)
            clean_train, _ = image_data(ctx, n_train, 1)
            ctx.log(f"{name}, seed {seed}")
            model = seeded(seed, build)
            history = train(model, train_set, test_set, epochs=1 if ctx.quick else epochs,
                            lr=lr, seed=seed)
            train_acc = 1 - evaluate(model, clean_train)[1]
            test_acc = 1 - history[-1]["test_err"]
            rows.append({"seed": seed, "variant": name, "train_acc": train_acc,
                         "test_acc": test_acc, "gap": train_acc - test_acc,
                         "epochs": history[-1]["epoch"], "n_train": len(train_set)})
    return rows


def _decide_gap(rows, regularised, baseline):
    """Holds if the regularised variant's train−test gap is smaller than the baseline's in
    every seed; does not hold if it is larger or equal in every seed."""
    seeds = sorted({r["seed"] for r in rows})
    pick = {(r["variant"], r["seed"]): r for r in rows}
    smaller = [pick[(regularised, s)]["gap"] < pick[(baseline, s)]["gap"] for s in seeds]
    numbers = {}
    for s in seeds:
        for v in (baseline, regularised):
            key = v.split(" ")[0] if " " in v else v
            numbers[f"seed{s}_{key}_gap"] = pick[(v, s)]["gap"]
            numbers[f"seed{s}_{key}_test_acc"] = pick[(v, s)]["test_acc"]
    if all(smaller):
        return Verdict(HOLDS, numbers)
    if not any(smaller):
        return Verdict(DOES_NOT_HOLD, numbers)
    return Verdict(INCONCLUSIVE, numbers, "the seeds disagree")


def _plot_gap(rows, path, title):
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    values = [[100 * np.mean([r[k] for r in rows if r["variant"] == v])
               for k in ("train_acc", "test_acc", "gap")] for v in variants]
    return bars(path, ["train accuracy", "test accuracy", "gap"], variants, values,
                "% (mean over seeds)", title)


# ---------------------------------------------------------------------- dropout (deck 002)
_NO_DROPOUT, _DROPOUT = "no dropout", "dropout p=0.5"


def dropout_experiment(ctx):
    side = 28 * 28 * in_channels(ctx)
    return _gap_rows(ctx, [(_NO_DROPOUT, lambda: mlp([side, 512, 512, 10]), False),
                           (_DROPOUT, lambda: mlp([side, 512, 512, 10], dropout=0.5), False)],
                     n_train=500, epochs=40, lr=0.05)


DROPOUT_OVERFITTING = Claim(
    "dropout_overfitting", "002_9b771e4956dc7017.txt", "Regularization: Dropout",
    "Dropout reduces overfitting: a smaller gap between training and test accuracy.",
    "Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov 2014",
    "holds if the 784-512-512-10 ReLU MLP with dropout 0.5 on its hidden layers ends with a "
    "smaller train−test accuracy gap than without, in every seed (500 training digits, 40 "
    "epochs of SGD 0.05 with momentum 0.9, accuracy measured in eval mode)",
    dropout_experiment, lambda rows: _decide_gap(rows, _DROPOUT, _NO_DROPOUT),
    lambda rows, path, ctx: _plot_gap(rows, path, "Dropout on 500 digits: train/test gap"),
    "≈ 1 min (3 seeds)", default_seeds=3, data_options=("mnist", "fashion-mnist"))

# ------------------------------------------------------------------ augmentation (deck 002)
_PLAIN, _AUGMENTED = "no augmentation", "random crops"


def augmentation_experiment(ctx):
    return _gap_rows(ctx, [(_PLAIN, lambda: LeNet5(10, in_channels(ctx), input_size=28), False),
                           (_AUGMENTED, lambda: LeNet5(10, in_channels(ctx), input_size=28),
                            True)],
                     n_train=500, epochs=30, lr=0.05)


AUGMENTATION = Claim(
    "augmentation", "002_9b771e4956dc7017.txt", "Regularization: data augmentation",
    "Data augmentation regularises: a smaller gap between training and test accuracy.",
    "deck 002; Krizhevsky, Sutskever & Hinton 2012 §4.1",
    "holds if LeNet-5 trained on random crops (±2 pixels) of 500 digits ends with a smaller "
    "train−test accuracy gap than LeNet-5 trained on the digits as they are, in every seed "
    "(30 epochs of SGD 0.05 with momentum 0.9)",
    augmentation_experiment, lambda rows: _decide_gap(rows, _AUGMENTED, _PLAIN),
    lambda rows, path, ctx: _plot_gap(rows, path, "Augmentation on 500 digits: train/test gap"),
    "≈ 1 min (3 seeds)", default_seeds=3, data_options=("mnist", "fashion-mnist"))

# ------------------------------------------------------------ L2 / L1 / elastic (deck 002)
_PENALTIES = {"none": (None, 0.0), "L2": (l2_penalty, 1e-3), "L1": (l1_penalty, 1e-4),
              "elastic net": (elastic_net_penalty, 1e-4)}
_NEAR_ZERO = 1e-3


def penalties_experiment(ctx):
    rows = []
    side = 28 * 28 * in_channels(ctx)
    train_set, test_set = image_data(ctx, 1000, 1000)
    for seed in ctx.seeds:
        for name, (penalty, strength) in _PENALTIES.items():
            ctx.log(f"{name}, seed {seed}")
            model = seeded(seed, lambda: mlp([side, 256, 256, 10]))
            history = train(model, train_set, test_set, epochs=1 if ctx.quick else 30,
                            lr=0.05, seed=seed, penalty=penalty, penalty_strength=strength)
            w = np.concatenate([p._data.ravel() for p in model.parameters() if p.ndim >= 2])
            rows.append({"seed": seed, "penalty": name, "strength": strength,
                         "test_err": history[-1]["test_err"],
                         "near_zero_fraction": float(np.mean(np.abs(w) < _NEAR_ZERO)),
                         "mean_abs_weight": float(np.mean(np.abs(w))),
                         "l2_norm": float(np.sqrt(np.sum(w.astype(np.float64) ** 2)))})
    return rows


def decide_penalties(rows):
    """Holds if, in every seed, L1 leaves a larger fraction of weights within 1e-3 of zero
    than both no penalty and L2, and L2 leaves a smaller weight norm than no penalty."""
    pick = {(r["penalty"], r["seed"]): r for r in rows}
    ok, numbers = [], {}
    for s in sorted({r["seed"] for r in rows}):
        frac = {p: pick[(p, s)]["near_zero_fraction"] for p in _PENALTIES}
        norm = {p: pick[(p, s)]["l2_norm"] for p in _PENALTIES}
        ok.append(frac["L1"] > max(frac["none"], frac["L2"]) and norm["L2"] < norm["none"])
        numbers.update({f"seed{s}_near_zero_{p.replace(' ', '_')}": f for p, f in frac.items()})
        numbers.update({f"seed{s}_norm_{p.replace(' ', '_')}": n for p, n in norm.items()})
        numbers.update({f"seed{s}_test_err_{p.replace(' ', '_')}": pick[(p, s)]["test_err"]
                        for p in _PENALTIES})
    if all(ok):
        return Verdict(HOLDS, numbers)
    return Verdict(DOES_NOT_HOLD if not any(ok) else INCONCLUSIVE, numbers)


def plot_penalties(rows, path, ctx):
    names = list(_PENALTIES)
    mean = {k: [np.mean([r[k] for r in rows if r["penalty"] == n]) for n in names]
            for k in ("near_zero_fraction", "mean_abs_weight", "test_err")}
    return bars(path, names, ["fraction |w| < 1e-3", "mean |w| × 10", "test error"],
                [mean["near_zero_fraction"], [10 * v for v in mean["mean_abs_weight"]],
                 mean["test_err"]], "value (mean over seeds)",
                "Weight penalties on a 784-256-256-10 MLP (deck 002)")


PENALTIES = Claim(
    "penalties", "002_9b771e4956dc7017.txt", "Multiclass hinge loss with L2/L1/elastic-net",
    "L1 drives weights to exactly or nearly zero; L2 shrinks all weights.",
    "deck 002; Tibshirani 1996 (lasso), Zou & Hastie 2005 (elastic net)",
    "holds if, in every seed, L1 (λ=1e-4) leaves a larger fraction of weights within 1e-3 of "
    "zero than no penalty and L2 (λ=1e-3) do, and L2 leaves a smaller weight norm than no "
    "penalty (784-256-256-10 MLP, 1,000 digits, 30 epochs of SGD 0.05 with momentum 0.9)",
    penalties_experiment, decide_penalties, plot_penalties, "≈ 2 min (2 seeds)",
    default_seeds=2, data_options=("mnist", "fashion-mnist"))
