"""Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods")."""
from .. import backend
from ..autograd import Tensor
from ..errors import check_nonnegative
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Per-element steps scaled by the root of the summed squared gradients:

        g ← ∇θ (negated if maximize) + λ θ;   t ← t + 1
        η_t = lr / (1 + (t − 1)·lr_decay);   s ← s + g²;   θ ← θ − η_t · g / (√s + ε)

    lr, lr_decay, weight_decay, initial_accumulator_value, eps ≥ 0. State per parameter
    (created at construction, as PyTorch): step, sum (s, starting at
    initial_accumulator_value).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, maximize=False):
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                    "maximize": maximize}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                xp = backend.array_module(p._data)
                self.state[p] = {"step": 0, "sum": Tensor(xp.full_like(
                    p._data, group["initial_accumulator_value"]))}

    def _validate(self, group):
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_nonnegative("Adagrad", key, group[key])

    # s ← s + g²; θ ← θ − lr/(1 + (t−1)·decay) · g/(√s + ε)  (Duchi et al. 2011)
    def _update(self, group, p, g, state):
        if not state:                   # a parameter group added after construction
            state["step"] = 0
            state["sum"] = Tensor(backend.array_module(p).full_like(
                p, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]._data
        s += g * g
        xp = backend.array_module(p)
        p -= clr * (g / (xp.sqrt(s) + group["eps"]))
