"""Initialisation (deck 001, Glorot & Bengio 2010, He et al. 2015): in a deep net, weights
drawn from N(0, 0.01²) make activations and gradients vanish layer by layer; Xavier keeps a
tanh net's signal at scale, Kaiming a ReLU net's, and those nets train."""
from .. import nn
from ..backend import np
from ..nn import functional as F
from ..nn import init
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import image_data, mlp, seeded, train
from .plotting import curves

_DEPTH, _WIDTH = 10, 256
_INITS = ("N(0, 0.01²)", "Xavier", "Kaiming")
_NONLINEARITIES = {"tanh": nn.Tanh, "relu": nn.ReLU}


def _initialise(model, scheme, nonlinearity):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            if scheme == "N(0, 0.01²)":
                init.normal_(m.weight, 0.0, 0.01)
            elif scheme == "Xavier":
                init.xavier_normal_(m.weight, gain=init.calculate_gain(nonlinearity))
            else:
                init.kaiming_normal_(m.weight, nonlinearity=nonlinearity)
            init.zeros_(m.bias)


def _layer_statistics(model, x, y):
    """Per hidden layer: std of its activations and of the loss gradient w.r.t. its weight,
    on one batch at initialisation."""
    acts = []
    handles = [m.register_forward_hook(lambda mod, inp, out: acts.append(float(out._data.std())))
               for m in model.modules() if isinstance(m, (nn.Tanh, nn.ReLU))]
    loss = F.cross_entropy(model(x), y)
    for h in handles:
        h.remove()
    model.zero_grad()
    loss.backward()
    grads = [float(m.weight.grad._data.std()) for m in model.modules() if isinstance(m, nn.Linear)]
    return acts, grads[:-1]


def initialisation_experiment(ctx):
    train_set, test_set = image_data(ctx, 4000, 1000)
    side = int(np.prod(train_set[0][0].shape))
    x, y = train_set.get_batch(np.arange(min(500, len(train_set))))
    rows = []
    for seed in ctx.seeds:
        for nonlinearity, act in _NONLINEARITIES.items():
            for scheme in _INITS:
                ctx.log(f"{nonlinearity}, {scheme}, seed {seed}")

                def build(act=act, scheme=scheme, nonlinearity=nonlinearity):
                    model = mlp([side] + [_WIDTH] * _DEPTH + [10], act)
                    _initialise(model, scheme, nonlinearity)
                    return model
                model = seeded(seed, build)
                acts, grads = _layer_statistics(model, x, y)
                history = train(model, train_set, test_set, epochs=1 if ctx.quick else 2,
                                lr=0.01, seed=seed)
                for layer, (a, g) in enumerate(zip(acts, grads), start=1):
                    rows.append({"seed": seed, "nonlinearity": nonlinearity, "init": scheme,
                                 "layer": layer, "activation_std": a, "weight_grad_std": g,
                                 "test_acc_after_training": 1 - history[-1]["test_err"]})
    return rows


def _net(rows, seed, nonlinearity, scheme):
    pts = [r for r in rows if r["seed"] == seed and r["nonlinearity"] == nonlinearity
           and r["init"] == scheme]
    return pts[-1]["activation_std"] / pts[0]["activation_std"], pts[-1][
        "test_acc_after_training"]


def decide_initialisation(rows):
    """Holds if, in every seed: under N(0, 0.01²) the last hidden layer's activation std is
    below 1 % of the first's and the net stays below 30 % test accuracy, for tanh and ReLU;
    Xavier (tanh) and Kaiming (ReLU) keep that ratio within [0.1, 10] and reach ≥ 85 %."""
    ok, numbers = [], {}
    for s in sorted({r["seed"] for r in rows}):
        checks = []
        for nl in _NONLINEARITIES:
            ratio, acc = _net(rows, s, nl, "N(0, 0.01²)")
            checks.append(ratio < 0.01 and acc < 0.30)
            numbers.update({f"seed{s}_{nl}_small_ratio": ratio, f"seed{s}_{nl}_small_acc": acc})
        for nl, scheme in (("tanh", "Xavier"), ("relu", "Kaiming")):
            ratio, acc = _net(rows, s, nl, scheme)
            checks.append(0.1 <= ratio <= 10 and acc >= 0.85)
            numbers.update({f"seed{s}_{nl}_{scheme}_ratio": ratio,
                            f"seed{s}_{nl}_{scheme}_acc": acc})
        ok.append(all(checks))
    if all(ok):
        return Verdict(HOLDS, numbers)
    return Verdict(DOES_NOT_HOLD if not any(ok) else INCONCLUSIVE, numbers)


def plot_initialisation(rows, path, ctx):
    seed = min(r["seed"] for r in rows)
    panels = []
    for key, label in (("activation_std", "activation std"), ("weight_grad_std",
                                                                "std of dL/dW")):
        series = []
        for nl in _NONLINEARITIES:
            for scheme in _INITS:
                pts = [r for r in rows if r["seed"] == seed and r["nonlinearity"] == nl
                       and r["init"] == scheme]
                series.append((f"{nl}, {scheme}", [r["layer"] for r in pts],
                               [max(r[key], 1e-30) for r in pts]))
        panels.append((label, "hidden layer", label + " (log)", series, True))
    return curves(path, panels, f"{_DEPTH}-layer MLP at initialisation (seed {seed})")


INITIALISATION = Claim(
    "initialisation", "001_ce574f492ba17d29.txt", "Weight initialization (Xavier / Kaiming)",
    "Small random weights make a deep net's activations and gradients vanish; Xavier (tanh) "
    "and Kaiming (ReLU) initialisation keep them at scale, and the net trains.",
    "Glorot & Bengio 2010; He, Zhang, Ren & Sun 2015",
    "holds if, in every seed, with N(0, 0.01²) the 10th hidden layer's activation std is "
    "below 1 % of the 1st's and the 10×256 MLP stays below 30 % test accuracy after 2 epochs "
    "(tanh and ReLU), while Xavier-tanh and Kaiming-ReLU keep the ratio within [0.1, 10] and "
    "reach ≥ 85 % (SGD 0.01 with momentum 0.9, 4,000 digits)",
    initialisation_experiment, decide_initialisation, plot_initialisation, "≈ 2 min (2 seeds)",
    default_seeds=2, data_options=("mnist", "fashion-mnist"))
