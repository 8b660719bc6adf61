"""Adam (Kingma & Ba 2015) and AdamW, Adam with decoupled weight decay (Loshchilov & Hutter
2019)."""
from .. import backend
from ..errors import check_positive
from .optimizer import Optimizer, check_betas, check_option


def weight_decay(p, g, lr, wd, decoupled):
    """The weight decay of the Adam family, in place on θ or into g: L2 (g + wd·θ), or
    decoupled θ ← θ(1 − lr·wd) (Loshchilov & Hutter 2019, AdamW); returns g."""
    if wd != 0:
        if decoupled:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    return g


def update_moments(state, g, beta1, beta2):
    """m ← β1 m + (1−β1) g (PyTorch's lerp form), v ← β2 v + (1−β2) g², in place in the
    state's exp_avg / exp_avg_sq; returns (m, v)."""
    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * (g * g)
    return m, v


class Adam(Optimizer):
    """Adam: per-element steps from running moments of the gradient.

        g ← ∇θ (negated if maximize) + λ θ           (AdamW: θ ← θ (1 − lr λ) instead)
        m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²;   t ← t + 1
        v̂ ← max(v̂, v) (amsgrad, Reddi et al. 2018)  else v̂ = v
        θ ← θ − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + ε)

    lr ≥ 0, betas in [0, 1), eps > 0, weight_decay ≥ 0, all finite, else PyTorch's
    ValueError ("Invalid learning rate: nan"); unlike PyTorch, eps = 0 is refused (0/0 where
    v = 0). State per parameter: step,
    exp_avg (m), exp_avg_sq (v), max_exp_avg_sq (amsgrad).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False):
        defaults = {"lr": lr, "betas": tuple(betas) if isinstance(betas, list) else betas,
                    "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _validate(self, group):
        name = type(self).__name__
        for key in ("lr", "weight_decay"):
            check_option(name, key, group[key])
        check_option(name, "eps", group["eps"], check_positive)     # eps = 0 divides 0 by 0
        check_betas(name, group["betas"])

    # m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; θ ← θ − lr m̂ / (√v̂ + ε) (Kingma & Ba 2015)
    def _update(self, group, p, g, state):
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(p)
            state["exp_avg_sq"] = self._zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._zeros_like(p)
        state["step"] += 1
        t = state["step"]
        g = weight_decay(p, g, lr, wd, group["decoupled_weight_decay"])
        m, v = update_moments(state, g, beta1, beta2)
        xp = backend.array_module(p)
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"]._data, v, out=state["max_exp_avg_sq"]._data)
        step_size = lr / (1 - beta1 ** t)
        denom = xp.sqrt(v)
        denom /= (1 - beta2 ** t) ** 0.5
        denom += group["eps"]
        p -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ (1 − lr λ) before the Adam step, instead of
    adding λθ to the gradient (Loshchilov & Hutter 2019). Default weight_decay = 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
