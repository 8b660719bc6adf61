"""NAdam: Adam with Nesterov momentum (Dozat 2016, "Incorporating Nesterov Momentum into
Adam"), PyTorch's form with the momentum-decay schedule."""
from .. import backend
from ..errors import check_nonnegative
from .adam import update_moments, weight_decay
from .optimizer import Optimizer, check_betas


class NAdam(Optimizer):
    """NAdam, as torch.optim.NAdam:

        g ← ∇θ (negated if maximize) + λθ        (decoupled_weight_decay: θ ← θ(1 − lr λ))
        μ_t = β1 (1 − ½·0.96^(t·ψ)),  μ_{t+1} likewise;  Π_t = Π_{t−1} μ_t
        m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²;   d = √(v / (1 − β2ᵗ)) + ε
        θ ← θ − lr (1 − μ_t)/(1 − Π_t) · g/d − lr μ_{t+1}/(1 − Π_t μ_{t+1}) · m/d

    ψ = momentum_decay. State per parameter: step, mu_product, exp_avg, exp_avg_sq.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
        defaults = {"lr": lr, "betas": tuple(betas) if isinstance(betas, list) else betas,
                    "eps": eps, "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group):
        for key in ("lr", "eps", "weight_decay", "momentum_decay"):
            check_nonnegative("NAdam", key, group[key])
        check_betas("NAdam", group["betas"])

    # θ ← θ − lr(1−μ_t)/(1−Π_t)·g/d − lr μ_{t+1}/(1−Π_{t+1})·m/d  (Dozat 2016)
    def _update(self, group, p, g, state):
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_avg_sq"] = self._zeros_like(p)
        state["step"] += 1
        t = state["step"]
        g = weight_decay(p, g, lr, wd, group["decoupled_weight_decay"])
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        m, v = update_moments(state, g, beta1, beta2)
        denom = backend.array_module(p).sqrt(v / (1 - beta2 ** t)) + group["eps"]
        p -= (lr * (1 - mu) / (1 - mu_product)) * (g / denom)
        p -= (lr * mu_next / (1 - mu_product * mu_next)) * (m / denom)
