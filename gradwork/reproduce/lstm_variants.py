"""LSTM variants perform about the same (deck 004, "LSTM Variants #1: Peephole Connections",
"#2: Coupled Gates"; Greff et al. 2017, "LSTM: A Search Space Odyssey": no variant improves
significantly on the vanilla LSTM; coupling the input and forget gates (CIFG) and removing
peepholes (NP) do not hurt). Plain (no peephole), peephole and coupled-gate LSTMs on the
adding problem at T = 50, each sized to the plain LSTM's parameter count (hidden 32)."""
from .. import nn
from ..backend import manual_seed, np
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import curves
from .sequence_training import VARIANCE_BASELINE, train_adding

_VARIANTS = {"plain": {}, "peephole": {"peephole": True}, "coupled": {"coupled": True}}
_HIDDEN, _FACTOR, _ABSOLUTE, _LEARNED = 32, 2.0, 0.01, 0.1


class VariantRegressor(nn.Module):
    """(N, T, 2) → (N, 1): an LSTM (batch-first) with the variant's options, then Linear on
    the last step's h."""

    def __init__(self, hidden, **options):
        super().__init__()
        self.body = nn.LSTM(2, hidden, batch_first=True, **options)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.body(x)[0][:, -1])


def count(model):
    return sum(p._data.size for p in model.parameters())


def matched_hidden(options, target):
    """The hidden size whose model has the parameter count nearest `target`."""
    return min(range(4, 4 * _HIDDEN), key=lambda h: abs(count(VariantRegressor(h, **options))
                                                        - target))


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
                rows.append({"seed": seed, "T": seq_len, "variant": name, "hidden": hidden,
                             "params": count(model), **r})
    return rows


def decide_variants(rows):
    """Mean final test MSE over seeds per variant. Holds if every variant ends below 0.1 (it
    learned the task; the baseline is 1/6) and the largest mean is within a factor 2 of the
    smallest or within 0.01 of it. Does not hold if the means differ by more than both.
    Inconclusive if they agree but some variant did not learn the task."""
    seeds, finals = sorted({r["seed"] for r in rows}), {}
    for name in dict.fromkeys(r["variant"] for r in rows):
        finals[name] = float(np.mean([[r for r in rows if r["variant"] == name
                                       and r["seed"] == s][-1]["test_mse"] for s in seeds]))
    low, high = min(finals.values()), max(finals.values())
    numbers = {f"{k}_mse": v for k, v in finals.items()}
    numbers["ratio"] = high / max(low, 1e-12)
    if high > _FACTOR * low and high - low > _ABSOLUTE:
        return Verdict(DOES_NOT_HOLD, numbers, "the variants differ by more than a factor 2 "
                       "and 0.01")
    if high >= _LEARNED:
        return Verdict(INCONCLUSIVE, numbers, "a variant did not learn the task (MSE ≥ 0.1)")
    return Verdict(HOLDS, numbers)


def plot_variants(rows, path, ctx):
    series = []
    for name in _VARIANTS:
        pts = [r for r in rows if r["variant"] == name and r["seed"] == ctx.seeds[0]]
        series.append((f"{name} (hidden {pts[0]['hidden']}, {pts[0]['params']} params)",
                       [r["step"] for r in pts], [r["test_mse"] for r in pts]))
    series.append(("baseline 1/6", [series[0][1][0], series[0][1][-1]],
                   [VARIANCE_BASELINE] * 2))
    panel = (f"adding problem, T = {rows[0]['T']}", "step", "test MSE", series, True)
    return curves(path, [panel], "LSTM variants at equal parameter count")


LSTM_VARIANTS = Claim(
    "lstm_variants", "004_88eb7e677c5ff7c1.txt", "LSTM Variants #1: Peephole Connections",
    "Peephole and coupled-gate LSTMs perform about the same as the plain LSTM.",
    "Greff, Srivastava, Koutník, Steunebrink & Schmidhuber 2017, LSTM: A Search Space Odyssey",
    "holds if the plain, peephole and coupled-gate LSTMs' mean final test MSE (over seeds) on "
    "the adding problem at T=50 are all below 0.1 and the largest is within a factor 2 or "
    "0.01 of the smallest; does not hold if they differ by more than both; each sized to the "
    "plain LSTM's (hidden 32) parameter count; Adam lr 1e-2, batch 32, clip 1, 2,000 steps "
    "(Greff et al. searched hyperparameters per variant on three real data sets: here one "
    "synthetic task, one setting)",
    variants_experiment, decide_variants, plot_variants, "≈ 3 min of CPU (3 seeds)",
    default_seeds=3)
