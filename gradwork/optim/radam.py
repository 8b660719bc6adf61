"""RAdam: Adam with a rectified adaptive learning rate (Liu et al. 2020, "On the Variance of
the Adaptive Learning Rate and Beyond")."""
import math

from .. import backend
from ..errors import check_nonnegative
from .adam import update_moments, weight_decay
from .optimizer import Optimizer, check_betas


class RAdam(Optimizer):
    """RAdam, as torch.optim.RAdam:

        g ← ∇θ (negated if maximize) + λθ        (decoupled_weight_decay: θ ← θ(1 − lr λ))
        m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²;   m̂ = m/(1 − β1ᵗ)
        ρ_∞ = 2/(1 − β2) − 1;   ρ_t = ρ_∞ − 2t β2ᵗ/(1 − β2ᵗ)
        ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                  θ ← θ − lr · m̂ · r · √(1 − β2ᵗ)/(√v + ε)
        else:     θ ← θ − lr · m̂                  (the variance is not yet tractable)

    State per parameter: step, exp_avg, exp_avg_sq.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, maximize=False):
        defaults = {"lr": lr, "betas": tuple(betas) if isinstance(betas, list) else betas,
                    "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group):
        for key in ("lr", "eps", "weight_decay"):
            check_nonnegative("RAdam", key, group[key])
        check_betas("RAdam", group["betas"])

    # ρ_t > 5: θ ← θ − lr m̂ r √(1−β2ᵗ)/(√v + ε), else θ ← θ − lr m̂  (Liu et al. 2020, Alg. 2)
    def _update(self, group, p, g, state):
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_avg_sq"] = self._zeros_like(p)
        state["step"] += 1
        t = state["step"]
        g = weight_decay(p, g, lr, wd, group["decoupled_weight_decay"])
        m, v = update_moments(state, g, beta1, beta2)
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        m_hat = m / bc1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bc2
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bc2) / (backend.array_module(p).sqrt(v) + group["eps"])
            p -= m_hat * lr * adaptive * rect
        else:
            p -= m_hat * lr
