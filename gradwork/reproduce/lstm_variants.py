"""LSTM variants perform about the same (deck 004, "LSTM Variants #1: Peephole Connections",
"#2: Coupled Gates"; Greff et al. 2017, "LSTM: A Search Space Odyssey": no variant improves
significantly on the vanilla LSTM; coupling the input and forget gates (CIFG) and removing
peepholes (NP) do not hurt). Plain (no peephole), peephole and coupled-gate LSTMs on the
adding problem at T = 50, each sized to the plain LSTM's parameter count (hidden 32), and on
sequential MNIST (the bundled digits at 14×14 read one pixel per step, 196 steps; one seed,
5 epochs), each sized to the plain LSTM's count at hidden 64."""
from .. import nn
from ..backend import manual_seed, np
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import curves
from .sequence_training import VARIANCE_BASELINE, train_adding
from .sequential_mnist import digit_sequences, train_classifier

_VARIANTS = {"plain": {}, "peephole": {"peephole": True}, "coupled": {"coupled": True}}
_HIDDEN, _FACTOR, _ABSOLUTE, _LEARNED = 32, 2.0, 0.01, 0.1
_MNIST_HIDDEN, _MNIST_EPOCHS, _MNIST_SPREAD, _MNIST_LEARNED = 64, 5, 0.05, 0.5


class VariantRegressor(nn.Module):
    """(N, T, 2) → (N, 1): an LSTM (batch-first) with the variant's options, then Linear on
    the last step's h."""

    def __init__(self, hidden, **options):
        super().__init__()
        self.body = nn.LSTM(2, hidden, batch_first=True, **options)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.body(x)[0][:, -1])


class VariantClassifier(nn.Module):
    """(N, P, 1) pixel sequences → (N, 10) logits: the variant's LSTM, Linear on the last h."""

    def __init__(self, hidden, **options):
        super().__init__()
        self.body = nn.LSTM(1, hidden, batch_first=True, **options)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.head(self.body(x)[0][:, -1])


def count(model):
    return sum(p._data.size for p in model.parameters())


def matched_hidden(options, target, model=VariantRegressor):
    """The hidden size whose `model` has the parameter count nearest `target`."""
    hidden = 4
    while count(model(hidden, **options)) < target:         # the count grows with hidden
        hidden += 1
    return min((hidden - 1, hidden), key=lambda h: abs(count(model(h, **options)) - target))


def variants_experiment(ctx):
    seq_len, steps = (10, 4) if ctx.quick else (50, 2000)
    target, rows = count(VariantRegressor(_HIDDEN)), []
    for name, options in _VARIANTS.items():
        hidden = matched_hidden(options, target)
        for seed in ctx.seeds:
            ctx.log(f"{name} LSTM, hidden {hidden}, T={seq_len}, seed {seed}")
            manual_seed(seed)
            model = VariantRegressor(hidden, **options)
            for r in train_adding(model, seq_len, steps=steps, lr=1e-2, seed=seed, clip=1.0,
                                  eval_every=max(steps // 25, 1), log=ctx.log):
                rows.append({"task": "adding", "seed": seed, "T": seq_len, "variant": name,
                             "hidden": hidden, "params": count(model), **r})
    return rows + mnist_rows(ctx)


def mnist_rows(ctx):
    """The variants on sequential MNIST (first seed only): rows of test accuracy by step."""
    data = digit_sequences(ctx)
    target, rows, seed = count(VariantClassifier(_MNIST_HIDDEN)), [], ctx.seeds[0]
    for name, options in _VARIANTS.items():
        hidden = matched_hidden(options, target, VariantClassifier)
        ctx.log(f"{name} LSTM, hidden {hidden}, sequential MNIST, seed {seed}")
        manual_seed(seed)
        model = VariantClassifier(hidden, **options)
        for r in train_classifier(model, data, epochs=1 if ctx.quick else _MNIST_EPOCHS,
                                  seed=seed, eval_every=1 if ctx.quick else 31, log=ctx.log):
            rows.append({"task": "sequential MNIST", "seed": seed, "T": data[0].shape[1],
                         "variant": name, "hidden": hidden, "params": count(model), **r})
    return rows


def _finals(rows, field):
    """Mean over seeds of each variant's last `field`."""
    seeds, finals = sorted({r["seed"] for r in rows}), {}
    for name in dict.fromkeys(r["variant"] for r in rows):
        finals[name] = float(np.mean([[r for r in rows if r["variant"] == name
                                       and r["seed"] == s][-1][field] for s in seeds]))
    return finals


def decide_variants(rows):
    """Adding problem (rows without a task are adding rows): mean final test MSE over seeds
    per variant; agree if the largest is within a factor 2 of the smallest or within 0.01;
    learned if every one is below 0.1 (the baseline is 1/6). Sequential MNIST (when present):
    final test accuracy per variant; agree if max − min ≤ 5 points; learned if every one is
    ≥ 50%. Does not hold if the variants disagree on a task; inconclusive if they agree but
    some variant did not learn a task; holds otherwise."""
    adding = [r for r in rows if r.get("task", "adding") == "adding"]
    mnist = [r for r in rows if r.get("task") == "sequential MNIST"]
    finals = _finals(adding, "test_mse")
    low, high = min(finals.values()), max(finals.values())
    numbers = {f"{k}_mse": v for k, v in finals.items()}
    numbers["ratio"] = high / max(low, 1e-12)
    disagree = [high > _FACTOR * low and high - low > _ABSOLUTE]
    unlearned = [high >= _LEARNED]
    if mnist:
        accs = _finals(mnist, "test_acc")
        numbers.update({f"{k}_mnist_acc": v for k, v in accs.items()})
        numbers["mnist_spread"] = max(accs.values()) - min(accs.values())
        disagree.append(numbers["mnist_spread"] > _MNIST_SPREAD)
        unlearned.append(min(accs.values()) < _MNIST_LEARNED)
    if any(disagree):
        return Verdict(DOES_NOT_HOLD, numbers, "the variants differ by more than the tolerance "
                       "(adding: a factor 2 and 0.01; MNIST: 5 points)")
    if any(unlearned):
        return Verdict(INCONCLUSIVE, numbers, "a variant did not learn a task (adding MSE ≥ "
                       "0.1 or MNIST accuracy < 50%)")
    return Verdict(HOLDS, numbers)


def plot_variants(rows, path, ctx):
    adding, mnist = [], []
    for name in _VARIANTS:
        pts = [r for r in rows if r["variant"] == name and r["seed"] == ctx.seeds[0]]
        for task, field, out in (("adding", "test_mse", adding),
                                 ("sequential MNIST", "test_acc", mnist)):
            sub = [r for r in pts if r.get("task", "adding") == task]
            if sub:
                out.append((f"{name} (hidden {sub[0]['hidden']}, {sub[0]['params']} params)",
                            [r["step"] for r in sub], [r[field] for r in sub]))
    adding.append(("baseline 1/6", [adding[0][1][0], adding[0][1][-1]],
                   [VARIANCE_BASELINE] * 2))
    panels = [(f"adding problem, T = {rows[0]['T']}", "step", "test MSE", adding, True)]
    if mnist:
        steps = [r["T"] for r in rows if r.get("task") == "sequential MNIST"][0]
        panels.append((f"sequential MNIST, {steps} steps", "step", "test accuracy", mnist,
                       False))
    return curves(path, panels, "LSTM variants at equal parameter count")


LSTM_VARIANTS = Claim(
    "lstm_variants", "004_88eb7e677c5ff7c1.txt", "LSTM Variants #1: Peephole Connections",
    "Peephole and coupled-gate LSTMs perform about the same as the plain LSTM.",
    "Greff, Srivastava, Koutník, Steunebrink & Schmidhuber 2017, LSTM: A Search Space Odyssey",
    "holds if the plain, peephole and coupled-gate LSTMs' mean final test MSE (over seeds) on "
    "the adding problem at T=50 are all below 0.1 and the largest is within a factor 2 or "
    "0.01 of the smallest; does not hold if they differ by more than both; each sized to the "
    "plain LSTM's (hidden 32) parameter count; Adam lr 1e-2, batch 32, clip 1, 2,000 steps "
    "(Greff et al. searched hyperparameters per variant on three real data sets: here one "
    "synthetic task, one setting); and on sequential MNIST (bundled digits 14×14 read one "
    "pixel per step, 196 steps; each sized to the plain LSTM's count at hidden 64; Adam lr "
    "2e-3, batch 64, clip 1, 5 epochs, first seed only) all three reach ≥ 50% test accuracy "
    "and lie within 5 points of each other; does not hold if the variants differ beyond "
    "either task's tolerance; inconclusive if they agree but one did not learn a task",
    variants_experiment, decide_variants, plot_variants,
    "≈ 3 min of CPU (adding: 3 seeds; MNIST: 1 seed)",
    default_seeds=3)
