"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from ..autograd import Tensor
from ..errors import ArgumentError, check_finite_number
from .optimizer import Optimizer, check_option


class SGD(Optimizer):
    """SGD, PyTorch's form (Sutskever et al. 2013 for momentum and Nesterov):

        g ← ∇θ (negated if maximize) + λ θ
        b ← g at the first step, else μ b + (1 − τ) g
        g ← g + μ b (nesterov)  or  g ← b
        θ ← θ − lr g

    The decks write momentum as a velocity, v ← μ v − lr g; θ ← θ + v. With a constant lr
    and τ = 0 the two are the same update (v = −lr b); they differ when lr changes, where
    PyTorch's form applies the new lr to the whole buffer at once.
    `params`: Parameters or param-group dicts; lr ≥ 0, momentum μ ≥ 0, dampening τ,
    weight_decay λ ≥ 0, all finite (PyTorch's ValueError wording, NaN and inf refused too);
    nesterov needs μ > 0 and τ = 0.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, maximize=False):
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group):
        for key in ("lr", "momentum", "weight_decay"):
            check_option("SGD", key, group[key])
        check_option("SGD", "dampening", group["dampening"], check_finite_number)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ArgumentError("SGD: Nesterov momentum requires a momentum and zero dampening "
                                f"(nesterov=True), got momentum={group['momentum']!r}, "
                                f"dampening={group['dampening']!r}")

    # θ ← θ − lr (g + μ b) or θ − lr b, with b ← μ b + (1 − τ)(∇θ + λθ) (PyTorch's SGD).
    # In place where the result is ours, one array made per term (the bits of the formula:
    # x·1 = x and a + b = b + a exactly, so τ = 0 adds g itself and λθ + g is g + λθ).
    def _update(self, group, p, g, state):
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            if g.dtype != p.dtype:
                g = g + wd * p
            else:
                g2 = p * wd
                g2 += g
                g = g2
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor(g.copy())
            else:
                b = buf._data
                b *= mu
                tau = group["dampening"]
                b += g if tau == 0 else (1 - tau) * g
            if group["nesterov"]:
                g2 = buf._data * mu
                g2 += g
                g = g2
            else:
                g = buf._data
        step = g * lr
        p -= step
