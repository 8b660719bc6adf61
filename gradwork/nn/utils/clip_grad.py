"""Gradient clipping (deck 004: "gradient clipping" against exploding gradients;
Pascanu et al. 2013): rescale g by max_norm/‖g‖ when ‖g‖ > max_norm."""
import math

from ... import backend
from ...autograd import Tensor
from ...errors import NonFiniteError, check_nonnegative


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint norm is at most max_norm; returns the
    norm before clipping (as a Tensor), PyTorch's coefficient max_norm/(norm + 1e-6).

    A NaN or infinite total norm: with `error_if_nonfinite=True` a `NonFiniteError` (a
    RuntimeError, PyTorch's text) and the gradients untouched; with the default False,
    PyTorch's default, the gradients are scaled by the non-finite coefficient exactly as
    PyTorch does (NaN everywhere for a NaN norm, 0·g for an infinite one). The trainer
    checks the loss and the weights itself; pass True to stop at the first bad step."""
    if max_norm != float("inf"):           # inf: PyTorch's idiom for "the norm, no clipping"
        max_norm = check_nonnegative("clip_grad_norm_", "max_norm", max_norm)
    params = _with_grads(parameters)
    if not params:
        return Tensor(backend.np.asarray(0.0, backend.DEFAULT_FLOAT))
    xp = backend.array_module(params[0].grad._data)
    norm_type = float(norm_type)
    with backend.errstate(invalid="ignore", over="ignore"):
        if math.isinf(norm_type):
            maxima = [float(xp.abs(p.grad._data).max()) for p in params]
            total = math.nan if any(map(math.isnan, maxima)) else max(maxima)  # NaN wins
        else:
            total = sum(float((xp.abs(p.grad._data.astype(xp.float64)) ** norm_type).sum())
                        for p in params) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise NonFiniteError(f"clip_grad_norm_: The total norm of order {norm_type} for "
                             "gradients from `parameters` is non-finite, so it cannot be "
                             "clipped. To disable this error and scale the gradients by the "
                             "non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = max_norm / (total + 1e-6)
    if coef < 1 or math.isnan(coef):                      # PyTorch: clamp(coef, max=1), NaN stays
        with backend.errstate(invalid="ignore"):
            for p in params:
                p.grad._data = p.grad._data * p.grad._data.dtype.type(coef)
    return Tensor(xp.asarray(total, dtype=params[0].grad._data.dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [−clip_value, clip_value]."""
    for p in _with_grads(parameters):
        p.grad._data = backend.array_module(p.grad._data).clip(p.grad._data, -clip_value,
                                                               clip_value)
