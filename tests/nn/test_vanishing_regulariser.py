import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.errors import ArgumentError, ShapeError
from gradwork.nn.vanishing_regulariser import omega_given, pascanu_omega, state_gradients
from gradwork.tools.gradcheck import gradcheck

N, T, D, H = 2, 6, 2, 3


def setup(nonlinearity="tanh", batch_first=True, seed=0):
    """A float64 one-layer RNN with W_hh scaled so gradients neither vanish nor explode fast,
    an input, and E = Σ R ⊙ output (so the gradient reaching the output is R)."""
    gw.manual_seed(seed)
    rnn = gw.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=batch_first).double()
    rnn.weight_hh_l0._data *= 2.0
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D) if batch_first else (T, N, D))
    R = rng.standard_normal((N, T, H) if batch_first else (T, N, H))
    return rnn, x, R


def run(rnn, x, R):
    out, _ = rnn(gw.tensor(x))
    out.retain_grad()
    (out * gw.tensor(R)).sum().backward()
    return out


def reference_omega(rnn, x, R, nonlinearity="tanh"):
    """Ω from explicit Jacobians J_k = diag(φ'(a_{k+1})) W_hh in float64 NumPy, over the T
    transitions h_0 → h_1 → … → h_T."""
    w_ih, w_hh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    b = rnn.bias_ih_l0.detach().numpy() + rnn.bias_hh_l0.detach().numpy()
    total, T = 0.0, x.shape[1]
    for n in range(N):
        h, hs, Js = np.zeros(H), [], []
        for t in range(T):
            a = w_ih @ x[n, t] + w_hh @ h + b
            h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
            d = 1 - h ** 2 if nonlinearity == "tanh" else (a > 0).astype(float)
            hs.append(h)
            Js.append(np.diag(d) @ w_hh)            # ∂h_t/∂h_{t−1}
        delta = [None] * T
        delta[-1] = R[n, -1]
        for t in range(T - 2, -1, -1):
            delta[t] = R[n, t] + delta[t + 1] @ Js[t + 1]
        for k in range(T):                         # h_k → h_{k+1}: error at h_{k+1}, Js[k]
            g = delta[k]
            total += (np.linalg.norm(g @ Js[k]) / np.linalg.norm(g) - 1) ** 2
    return total / N


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_value_matches_explicit_jacobians(nonlinearity, batch_first):
    rnn, x, R = setup(nonlinearity, batch_first)
    out = run(rnn, x, R)
    omega = pascanu_omega(rnn, out, out.grad)
    xb, Rb = (x, R) if batch_first else (x.swapaxes(0, 1), R.swapaxes(0, 1))
    np.testing.assert_allclose(omega.item(), reference_omega(rnn, xb, Rb, nonlinearity),
                               rtol=1e-10)


def test_value_and_plus_gradient_match_torch_autograd():
    """PyTorch: ∂E/∂h_k from autograd on the unrolled cell, δ_{k+1} J_k by autograd's
    vector–Jacobian product through the cell; ∂⁺Ω/∂W_hh by autograd with δ and φ' detached."""
    rnn, x, R = setup()
    out = run(rnn, x, R)
    omega = pascanu_omega(rnn, out, out.grad)
    for p in rnn.parameters():
        p.grad = None
    omega.backward()
    cell = torch.nn.RNNCell(D, H).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.from_numpy(getattr(rnn, name + "_l0").detach().numpy()))
    xt, Rt = torch.from_numpy(x), torch.from_numpy(R)
    hs, h = [torch.zeros(N, H, dtype=torch.float64)], None
    for t in range(T):
        h = cell(xt[:, t], hs[-1])
        h.retain_grad()
        hs.append(h)
    (torch.stack(hs[1:], 1) * Rt).sum().backward()
    value, plus = 0.0, 0
    for k in range(T):                              # h_k → h_{k+1}
        prev, delta = hs[k].detach().requires_grad_(), hs[k + 1].grad.detach()
        vjp, = torch.autograd.grad(cell(xt[:, k], prev), prev, delta)
        value += float(((vjp.norm(dim=1) / delta.norm(dim=1) - 1) ** 2).sum()) / N
        d = 1 - hs[k + 1].detach() ** 2
        plus = plus + (((delta * d) @ cell.weight_hh).norm(dim=1) / delta.norm(dim=1) - 1) \
            .pow(2).sum() / N
    w_hh_grad, = torch.autograd.grad(plus, cell.weight_hh)
    np.testing.assert_allclose(omega.item(), value, rtol=1e-10)
    np.testing.assert_allclose(plus.item(), value, rtol=1e-10)
    np.testing.assert_allclose(rnn.weight_hh_l0.grad.numpy(), w_hh_grad.numpy(), rtol=1e-8,
                               atol=1e-12)
    assert rnn.weight_ih_l0.grad is None and rnn.bias_hh_l0.grad is None      # ∂⁺: W_hh only


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_plus_gradient_is_finite_differences_with_errors_and_states_frozen(nonlinearity):
    rnn, x, R = setup(nonlinearity, seed=1)
    out = run(rnn, x, R)
    states, delta = out.detach().numpy(), state_gradients(rnn, out, out.grad)
    gradcheck(lambda *ps: omega_given(rnn, states, delta), list(rnn.parameters()))


def test_transitions_without_error_add_nothing():
    rnn, x, R = setup()
    R[:, 3:] = 0                                   # δ_k = 0 for k ≥ 4: no direction
    out = run(rnn, x, R)
    omega = pascanu_omega(rnn, out, out.grad)
    omega.backward()
    np.testing.assert_allclose(omega.item(), reference_omega(rnn, x[:, :3], R[:, :3]),
                               rtol=1e-10)
    assert all(np.isfinite(p.grad.numpy()).all() for p in rnn.parameters())


def test_relu_units_all_off_give_one_per_transition_and_a_zero_gradient():
    rnn, x, R = setup("relu")
    rnn.bias_ih_l0._data[...] = -100.0              # every a < 0: J_k = 0
    out = run(rnn, x, R)
    omega = pascanu_omega(rnn, out, out.grad)
    omega.backward()
    assert omega.item() == T
    assert np.all(rnn.weight_hh_l0.grad.numpy() == 0)


def test_bad_arguments_are_named():
    rnn, x, R = setup()
    out = run(rnn, x, R)
    with pytest.raises(ArgumentError, match="one-layer unidirectional nn.RNN"):
        pascanu_omega(gw.nn.LSTM(D, H), out, out.grad)
    with pytest.raises(ShapeError, match="output_grad must be the 3-D output.*got None"):
        pascanu_omega(rnn, out, None)
