"""Pascanu, Mikolov & Bengio 2013's regulariser for vanishing gradients ("On the difficulty of
training recurrent neural networks", §3.3; deck 004, "Solution 2"), for a vanilla RNN
h_t = φ(a_t), a_t = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh:

    Ω = Σ_k Ω_k = Σ_k ( ‖(∂E/∂h_{k+1}) (∂h_{k+1}/∂h_k)‖ / ‖∂E/∂h_{k+1}‖ − 1 )²       (eq. 9)

with ∂h_{k+1}/∂h_k = diag(φ'(a_{k+1})) W_hh. It asks every Jacobian to keep the norm of the
error signal in the direction that error actually takes. Its gradient is the paper's ∂⁺Ω
(eq. 10): the states and the errors ∂E/∂h_{k+1} (from BPTT) are held constant, so only the
explicit W_hh of each Jacobian is differentiated and only W_hh receives a gradient (the paper's
x_k, the authors' code's h_{k+1} in φ', held constant).

k runs over the T transitions h_0 → h_1 → … → h_T (as the authors' code, pascanur/
trainingRNNs); a transition whose error ∂E/∂h_{k+1} is exactly zero has no direction and adds
nothing; where δ_{k+1} J_k = 0 (every ReLU off) Ω_k = 1 with the subgradient 0. Ω is the mean
over the batch of each sequence's Σ_k Ω_k. (The authors' code squares both norms and averages
over the transitions instead of summing, with weight α = 2.) Use: run the RNN,
`output.retain_grad()`, back-propagate E, then `(λ · pascanu_omega(rnn, output,
output.grad)).backward()` adds λ ∂⁺Ω/∂W_hh to the gradients (E must reach the RNN only through
`output`).
"""
from .. import backend
from ..autograd import Tensor
from ..errors import ArgumentError, ShapeError
from ..ops import matmul, sqrt
from ..ops import sum as sum_
from .rnn import RNN


def _check(rnn, output, output_grad):
    if not isinstance(rnn, RNN) or rnn.num_layers != 1 or rnn.bidirectional:
        raise ArgumentError("pascanu_omega: rnn must be a one-layer unidirectional nn.RNN, got "
                            f"{rnn!r}")
    want = tuple(output.shape) if isinstance(output, Tensor) and output.ndim == 3 and \
        output.shape[-1] == rnn.hidden_size else None
    for what, t in (("output", output), ("output_grad", output_grad)):
        got = tuple(t.shape) if hasattr(t, "shape") else None
        if want is None or got != want:
            raise ShapeError(f"pascanu_omega: {what} must be the 3-D output of the RNN (width "
                             f"{rnn.hidden_size}) and its gradient, of one shape; got {got} "
                             "(output.grad is None unless output.retain_grad() was called "
                             "before E.backward())")


def _batch_first(rnn, a):
    a = a._data if isinstance(a, Tensor) else a
    return a if rnn.batch_first else a.swapaxes(0, 1)                    # (N, T, H)


def _derivative(rnn, h):
    """φ'(a_t) from h_t = φ(a_t): 1 − h² (tanh) or 1[h > 0] (relu)."""
    return (h > 0).astype(h.dtype) if rnn.nonlinearity == "relu" else 1 - h * h


def state_gradients(rnn, output, output_grad):
    """∂E/∂h_k (N, T, H), batch first, for every k by BPTT from the gradients that reached
    `output` directly: δ_T = g_T,  δ_k = g_k + (δ_{k+1} ⊙ φ'(a_{k+1})) W_hh (deck 004)."""
    h, g = _batch_first(rnn, output), _batch_first(rnn, output_grad)
    d, w_hh = _derivative(rnn, h), rnn.weight_hh_l0._data
    delta = backend.array_module(h).empty_like(g)
    delta[:, -1] = g[:, -1]
    for k in range(h.shape[1] - 2, -1, -1):
        delta[:, k] = g[:, k] + (delta[:, k + 1] * d[:, k + 1]) @ w_hh
    return delta


def omega_given(rnn, states, delta):
    """Ω as a function of W_hh with the states h_t and the errors δ_t = ∂E/∂h_t, t = 1..T
    (arrays (N, T, H), batch first), held constant: its gradient is ∂⁺Ω."""
    xp = backend.array_module(delta)
    g64 = delta.astype(xp.float64)
    g_norm = xp.sqrt((g64 ** 2).sum(-1, keepdims=True))                # ‖δ_{k+1}‖ (N, T, 1)
    live = g_norm[..., 0] > 0
    unit = (g64 / xp.where(g_norm > 0, g_norm, 1)).astype(delta.dtype)  # δ/‖δ‖: no underflow
    v = matmul(Tensor(unit * _derivative(rnn, states)), rnn.weight_hh_l0)   # δ_{k+1} J_k / ‖δ‖
    vv = sum_(v * v, -1)
    fix = Tensor((vv._data == 0).astype(delta.dtype))  # ‖v‖ = √(vv + 1) − 1 there: no 0/0
    terms = (sqrt(vv + fix) - fix - Tensor(live.astype(delta.dtype))) ** 2   # Ω_k; 0 if δ = 0
    return sum_(terms) * (1.0 / delta.shape[0])


# Ω = Σ_k (‖δ_{k+1} J_k‖ / ‖δ_{k+1}‖ − 1)², gradient ∂⁺ (Pascanu et al. 2013, eqs. 9–10)
def pascanu_omega(rnn, output, output_grad):
    """Ω (a scalar Tensor whose gradient is ∂⁺Ω/∂W_hh) for one run of the one-layer vanilla
    `rnn`, given its `output` (h_1..h_T, the rnn's layout) and the gradient E sent to that
    output (e.g. `output.grad` after `E.backward()` with `output.retain_grad()`); see the
    module docstring."""
    _check(rnn, output, output_grad)
    return omega_given(rnn, _batch_first(rnn, output), state_gradients(rnn, output, output_grad))
