"""Vanishing and exploding gradients (decks 001 and 004, "The problem of exploding or vanishing
gradients"; Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013; Hochreiter &
Schmidhuber 1997): ‖∂L/∂h_t‖ against t on length-100 sequences, for a tanh RNN whose W_hh
has spectral radius < 1 and > 1, an LSTM and a GRU, at initialisation and after training on
the adding problem (the LSTM's gates "learn to open and close access to the constant error
flow": the claim is about trained gates)."""
from ..backend import manual_seed, np
from ..data import AddingProblem
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import curves
from .sequence_training import SequenceRegressor, cell_like, gradient_norms, train_adding

_T, _HIDDEN, _SMALL, _LARGE = 100, 32, 0.9, 1.5


def set_spectral_radius(layer, radius, seed, name="weight_hh_l0"):
    """W_hh ← a Gaussian matrix rescaled to spectral radius `radius` (max |eigenvalue|)."""
    w = np.random.default_rng(seed).standard_normal(getattr(layer, name).shape)
    w *= radius / np.abs(np.linalg.eigvals(w)).max()
    getattr(layer, name)._data[...] = w.astype(np.float32)


def _models():
    return ((f"tanh RNN ρ={_SMALL}", "RNN", _SMALL), (f"tanh RNN ρ={_LARGE}", "RNN", _LARGE),
            ("LSTM", "LSTM", None), ("GRU", "GRU", None))


def _measure(model, kind, x, seed, label, phase):
    norms = gradient_norms(cell_like(model.body, kind), x)
    return [{"seed": seed, "model": label, "phase": phase, "t": t + 1, "grad_norm": g,
             "relative": g / norms[-1]} for t, g in enumerate(norms)]


def vanishing_experiment(ctx):
    steps = 5 if ctx.quick else 1500
    x = AddingProblem(32, _T, seed=12345).get_batch(np.arange(32))[0]._data.transpose(1, 0, 2)
    rows = []
    for seed in ctx.seeds:
        for label, kind, radius in _models():
            manual_seed(seed)
            model = SequenceRegressor(kind, 2, _HIDDEN)
            if radius is not None:
                set_spectral_radius(model.body, radius, seed)
            rows += _measure(model, kind, x, seed, label, "initialisation")
            if radius == _LARGE:
                continue      # the exploding regime is claim gradient_clipping's subject
            ctx.log(f"{label}, seed {seed}: training on the adding problem, T={_T}")
            curve = train_adding(model, _T, steps=steps, lr=1e-2, seed=seed, clip=1.0,
                                 eval_every=max(steps // 5, 1), log=ctx.log)
            trained = _measure(model, kind, x, seed, label, "trained")
            for r in trained:
                r["test_mse"] = curve[-1]["test_mse"]
            rows += trained
    return rows


def _ratio(rows, model, phase, seed):
    """‖∂L/∂h_1‖ / ‖∂L/∂h_T‖."""
    return [r for r in rows if r["model"] == model and r["phase"] == phase
            and r["seed"] == seed and r["t"] == 1][0]["relative"]


def decide_vanishing(rows):
    """Holds if, in every seed, (a) the tanh RNN with ρ < 1 at initialisation has
    ‖∂L/∂h_1‖/‖∂L/∂h_100‖ < 1e-3, (b) the one with ρ > 1 has it > 10 (explodes), and (c)
    after training on the adding problem the LSTM's ratio is ≥ 1000× the trained tanh RNN's.
    Does not hold if (a) or (b) fails in any seed, or the trained LSTM's gradient decays as
    fast as or faster than the trained RNN's in every seed; inconclusive otherwise."""
    small, large = f"tanh RNN ρ={_SMALL}", f"tanh RNN ρ={_LARGE}"
    numbers, vanish, explode, gated, better = {}, [], [], [], []
    for s in sorted({r["seed"] for r in rows}):
        r_small, r_large = _ratio(rows, small, "initialisation", s), \
            _ratio(rows, large, "initialisation", s)
        rnn_t, lstm_t = _ratio(rows, small, "trained", s), _ratio(rows, "LSTM", "trained", s)
        numbers.update({f"seed{s}_rnn{_SMALL}_init": r_small, f"seed{s}_rnn{_LARGE}_init":
                        r_large, f"seed{s}_lstm_init": _ratio(rows, "LSTM", "initialisation",
                                                              s),
                        f"seed{s}_rnn_trained": rnn_t, f"seed{s}_lstm_trained": lstm_t,
                        f"seed{s}_gru_trained": _ratio(rows, "GRU", "trained", s)})
        vanish.append(r_small < 1e-3)
        explode.append(r_large > 10)
        gated.append(lstm_t >= 1000 * rnn_t)
        better.append(lstm_t > rnn_t)
    if not all(vanish):
        return Verdict(DOES_NOT_HOLD, numbers, "the ρ < 1 RNN's gradient did not vanish")
    if not all(explode):
        return Verdict(DOES_NOT_HOLD, numbers, "the ρ > 1 RNN's gradient did not explode")
    if all(gated):
        return Verdict(HOLDS, numbers)
    if not any(better):
        return Verdict(DOES_NOT_HOLD, numbers, "the trained LSTM's gradient decays as fast "
                       "as the trained RNN's")
    return Verdict(INCONCLUSIVE, numbers, "the trained LSTM decays less, but by under 1000×")


def plot_vanishing(rows, path, ctx):
    panels = []
    for phase in ("initialisation", "trained"):
        series = []
        for model in dict.fromkeys(r["model"] for r in rows if r["phase"] == phase):
            pts = [r for r in rows if r["model"] == model and r["phase"] == phase
                   and r["seed"] == ctx.seeds[0]]
            series.append((model, [r["t"] for r in pts], [max(r["relative"], 1e-30)
                                                           for r in pts]))
        panels.append((f"at {phase}" if phase == "initialisation" else
                       "after training (adding problem, T=100)", "t",
                       "‖∂L/∂h_t‖ / ‖∂L/∂h_100‖", series, True))
    return curves(path, panels, "Gradient norm through time (L a function of h_100)")


VANISHING_GRADIENTS = Claim(
    "vanishing_gradients", "004_88eb7e677c5ff7c1.txt",
    "The problem of exploding or vanishing gradients",
    "Over 100 steps a tanh RNN's gradient vanishes (ρ(W_hh) < 1) or explodes (ρ > 1); the "
    "LSTM's gated cell keeps it from vanishing.",
    "Bengio et al. 1994; Pascanu, Mikolov & Bengio 2013; Hochreiter & Schmidhuber 1997",
    "holds if, in every seed, a tanh RNN (hidden 32) with ρ(W_hh)=0.9 at initialisation has "
    "‖∂L/∂h_1‖/‖∂L/∂h_100‖ < 1e-3, one with ρ=1.5 has it > 10, and after 1,500 Adam steps "
    "(lr 1e-2, clip 1) on the adding problem with T=100 the LSTM's ratio is ≥ 1000× the "
    "equally trained ρ=0.9 RNN's; GRU and untrained gated nets reported as measured",
    vanishing_experiment, decide_vanishing, plot_vanishing, "≈ 3 min (1 seed)")


# --------------------------------------------------------------- gradient clipping (claim 2)
_CLIP_RADIUS, _CLIP_LR, _CLIP_T, _CLIP = 2.0, 0.05, 50, 1.0


def clipping_experiment(ctx):
    steps, rows = (10 if ctx.quick else 400), []
    for seed in ctx.seeds:
        for clip in (None, _CLIP):
            label = "no clipping" if clip is None else f"clip ‖g‖ ≤ {clip:g}"
            ctx.log(f"{label}, seed {seed}")
            manual_seed(seed)
            model = SequenceRegressor("RNN", 2, _HIDDEN)
            set_spectral_radius(model.body, _CLIP_RADIUS, seed)
            for r in train_adding(model, _CLIP_T, steps=steps, lr=_CLIP_LR, seed=seed,
                                  clip=clip, sgd=True, eval_every=max(steps // 20, 1)):
                rows.append({"seed": seed, "clipping": label, **r})
    return rows


def _diverged_fraction(rows, label):
    seeds = sorted({r["seed"] for r in rows})
    return sum(any(r["diverged"] for r in rows if r["seed"] == s and r["clipping"] == label)
               for s in seeds) / len(seeds)


def decide_clipping(rows):
    """Holds if no clipped run diverges (non-finite loss or gradient) while at least half
    of the unclipped runs do. Does not hold if clipped runs diverge at least as often as
    unclipped ones, some of which diverge. Inconclusive otherwise (e.g. no unclipped run
    diverged: the setting was not in the exploding regime)."""
    labels = list(dict.fromkeys(r["clipping"] for r in rows))
    plain, clipped = (_diverged_fraction(rows, lab) for lab in labels)
    finals = [[r for r in rows if r["clipping"] == labels[1] and r["seed"] == s][-1]
              for s in sorted({r["seed"] for r in rows})]
    numbers = {"diverged_without": plain, "diverged_with": clipped, "runs": len(finals),
               "clipped_final_train_mse_median": float(np.median(
                   [r["train_mse"] for r in finals if not r["diverged"]] or [np.nan]))}
    if clipped == 0 and plain >= 0.5:
        return Verdict(HOLDS, numbers)
    if plain > 0 and clipped >= plain:
        return Verdict(DOES_NOT_HOLD, numbers, "clipped runs diverged as often")
    return Verdict(INCONCLUSIVE, numbers, "too few unclipped runs diverged to tell")


def plot_clipping(rows, path, ctx):
    panels = []
    for label in dict.fromkeys(r["clipping"] for r in rows):
        series = []
        for s in ctx.seeds:
            pts = [r for r in rows if r["clipping"] == label and r["seed"] == s]
            series.append((f"seed {s}" + (" (diverged)" if pts[-1]["diverged"] else ""),
                           [r["step"] for r in pts],
                           [r["train_mse"] if np.isfinite(r["train_mse"]) else 1e30
                            for r in pts]))
        panels.append((f"{label}: {100 * _diverged_fraction(rows, label):.0f}% diverged",
                       "SGD step", "training MSE", series, True))
    return curves(path, panels, f"tanh RNN with ρ(W_hh)={_CLIP_RADIUS:g}, adding problem "
                                f"T={_CLIP_T}")


GRADIENT_CLIPPING = Claim(
    "gradient_clipping", "004_88eb7e677c5ff7c1.txt",
    "Exploding and vanishing gradients problem",
    "Rescaling the gradient when its norm exceeds a threshold keeps training in the exploding "
    "regime from diverging.",
    "Pascanu, Mikolov & Bengio 2013, Algorithm 1",
    "holds if, over the seeds, no run with norm clipping (threshold 1) diverges (non-finite "
    "loss or gradient) while ≥ half of the runs without it do; tanh RNN (hidden 32) with "
    "ρ(W_hh)=2, plain SGD lr 0.05, batch 32, 400 steps on the adding problem with T=50",
    clipping_experiment, decide_clipping, plot_clipping, "≈ 1 min of CPU (10 seeds)",
    default_seeds=10)
