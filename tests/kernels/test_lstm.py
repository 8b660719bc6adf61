"""kernels/lstm.py: the compiled LSTM step against its portable form (kernels/portable.py) and
against float64 NumPy, every variant; the float32 tanh approximation's error bound."""
import numpy as np
import pytest

from gradwork import backend
from gradwork.kernels import portable

VARIANTS = [(False, False), (True, False), (False, True), (True, True)]   # (peephole, coupled)


def _step_args(rng, dtype, peephole, coupled, n=5, H=7):
    G = 3 if coupled else 4

    def r(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)
    none = np.empty(0, dtype)
    peep = (none, none, none)
    if peephole:
        peep = (none if coupled else r(H), r(H), r(H))
    return dict(a=r(n, G * H, scale=2.0), hw=r(n, G * H), c_prev=r(n, H), peep=peep,
                dh=r(n, H), dout=r(n, H), dc=r(n, H))


def _forward(fn, v, dtype, coupled):
    n, H = v["c_prev"].shape
    a = v["a"].copy()
    c, tc, h = (np.empty((n, H), dtype) for _ in range(3))
    fn(a, v["hw"], v["c_prev"], *v["peep"], coupled, dtype == np.float32, c, tc, h)
    return a, c, tc, h


def _backward(fn, v, act, tc, coupled):
    dh, dc, da = v["dh"].copy(), v["dc"].copy(), np.empty_like(act)
    fn(dh, v["dout"], dc, act, v["c_prev"], tc, *v["peep"], coupled, da)
    return dh, dc, da


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("peephole,coupled", VARIANTS)
def test_compiled_and_portable_lstm_steps_agree(peephole, coupled, dtype, tol):
    v = _step_args(np.random.default_rng(0), dtype, peephole, coupled)
    ours = _forward(backend.kernel("lstm_gates_forward", v["a"]), v, dtype, coupled)
    plain = _forward(portable.lstm_gates_forward, v, dtype, coupled)
    for name, a, b in zip(("act", "c", "tanh c", "h"), ours, plain):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)
    act, tc = plain[0], plain[2]
    ours = _backward(backend.kernel("lstm_gates_backward", act), v, act, tc, coupled)
    plain = _backward(portable.lstm_gates_backward, v, act, tc, coupled)
    for name, a, b in zip(("dh + dout", "dc", "da"), ours, plain):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("peephole,coupled", VARIANTS)
def test_portable_step_is_the_lstm_equations(peephole, coupled):
    """The portable form (the reference of the compiled one) against the equations, written
    out in float64: σ(u) = 1 / (1 + e^−u)."""
    v = _step_args(np.random.default_rng(1), np.float64, peephole, coupled)
    act, c, _, h = _forward(portable.lstm_gates_forward, v, np.float64, coupled)
    H = v["c_prev"].shape[1]
    u, cp = v["a"] + v["hw"], v["c_prev"]
    w_ci, w_cf, w_co = (w if w.size else np.zeros(H) for w in v["peep"])

    def sig(z):
        return 1 / (1 + np.exp(-z))
    if coupled:
        f = sig(u[:, :H] + w_cf * cp)
        i, g, uo = 1 - f, np.tanh(u[:, H:2 * H]), u[:, 2 * H:]
    else:
        i, f = sig(u[:, :H] + w_ci * cp), sig(u[:, H:2 * H] + w_cf * cp)
        g, uo = np.tanh(u[:, 2 * H:3 * H]), u[:, 3 * H:]
    c_ref = f * cp + i * g
    o = sig(uo + w_co * c_ref)
    np.testing.assert_allclose(c, c_ref, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(h, o * np.tanh(c_ref), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(act[:, -H:], o, rtol=1e-13, atol=1e-13)


def test_float32_tanh_approximation_error_and_special_values():
    """g = tanh(a_g) with hw = 0: |error| ≤ 3·10⁻⁷ over [−12, 12] and at ±inf; NaN stays NaN."""
    H = 64
    x = np.linspace(-12, 12, 32 * H, dtype=np.float32)
    x[:4] = [np.inf, -np.inf, np.nan, 0.0]
    a = np.zeros((32, 4 * H), np.float32)
    a[:, 2 * H:3 * H] = x.reshape(32, H)
    z = np.zeros((32, H), np.float32)
    none = np.empty(0, np.float32)
    backend.kernel("lstm_gates_forward", a)(a, np.zeros_like(a), z, none, none, none, False,
                                            True, z.copy(), z.copy(), z.copy())
    g = a[:, 2 * H:3 * H].reshape(-1)
    assert np.isnan(g[2]) and g[3] == 0
    err = np.abs(np.delete(g, 2).astype(np.float64) - np.tanh(np.delete(x, 2).astype(np.float64)))
    assert err.max() <= 3e-7, err.max()
