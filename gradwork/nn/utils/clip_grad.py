"""Gradient clipping (deck 004: "gradient clipping" against exploding gradients;
Pascanu et al. 2013): rescale g by max_norm/‖g‖ when ‖g‖ > max_norm."""
import math

from ... import backend
from ...autograd import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint norm is at most max_norm; returns the
    norm before clipping (as a Tensor), PyTorch's coefficient max_norm/(norm + 1e-6)."""
    params = _with_grads(parameters)
    if not params:
        return Tensor(backend.np.asarray(0.0, backend.DEFAULT_FLOAT))
    xp = backend.array_module(params[0].grad._data)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(xp.abs(p.grad._data).max()) for p in params)
    else:
        total = sum(float((xp.abs(p.grad._data.astype(xp.float64)) ** norm_type).sum())
                    for p in params) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is non-finite ({total})")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad._data = p.grad._data * p.grad._data.dtype.type(coef)
    return Tensor(xp.asarray(total, dtype=params[0].grad._data.dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [−clip_value, clip_value]."""
    for p in _with_grads(parameters):
        p.grad._data = backend.array_module(p.grad._data).clip(p.grad._data, -clip_value, clip_value)
