"""RMSprop (Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e,
2012; centred form after Graves 2013)."""
from .. import backend
from ..errors import check_positive, check_probability
from .optimizer import Optimizer, check_option


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of its recent values.

        g ← ∇θ (negated if maximize) + λ θ
        s ← α s + (1 − α) g²
        centered: ḡ ← α ḡ + (1 − α) g;  d = √(s − ḡ²) + ε   else d = √s + ε
        momentum μ > 0: b ← μ b + g/d; θ ← θ − lr b       else θ ← θ − lr g/d

    lr, weight_decay, momentum ≥ 0, alpha in [0, 1], eps > 0, all finite, else PyTorch's
    ValueError ("Invalid alpha value: 1.5"); unlike PyTorch, alpha > 1 and eps = 0 are refused.
    State: step, square_avg (s),
    momentum_buffer (b, if μ > 0), grad_avg (ḡ, if centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group):
        for key in ("lr", "momentum", "weight_decay"):
            check_option("RMSprop", key, group[key])
        check_option("RMSprop", "eps", group["eps"], check_positive)  # eps = 0 divides 0 by 0
        check_option("RMSprop", "alpha", group["alpha"], check_probability)

    # s ← α s + (1−α) g²; θ ← θ − lr g / (√s + ε) (Hinton, lecture 6e)
    def _update(self, group, p, g, state):
        alpha, mu, wd = group["alpha"], group["momentum"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = self._zeros_like(p)
            if mu > 0:
                state["momentum_buffer"] = self._zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = self._zeros_like(p)
        state["step"] += 1
        if wd != 0:
            g = g + wd * p
        xp = backend.array_module(p)
        s = state["square_avg"]._data
        s *= alpha
        s += (1 - alpha) * (g * g)
        if group["centered"]:
            gbar = state["grad_avg"]._data
            gbar += (1 - alpha) * (g - gbar)     # PyTorch's lerp
            d = xp.sqrt(s - gbar * gbar)
        else:
            d = xp.sqrt(s)
        d += group["eps"]
        if mu > 0:
            b = state["momentum_buffer"]._data
            b *= mu
            b += g / d
            p -= group["lr"] * b
        else:
            p -= group["lr"] * (g / d)
