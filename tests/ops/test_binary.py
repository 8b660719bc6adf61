"""ops/binary.py: sign with the STE, binary weights (both α gradients), the scaling map K, and
the BWN/XNOR convolutions and dense layers, against PyTorch references built from their
equations and, for the smooth parts, against central differences in float64."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.nn import functional as F
from gradwork.tools.gradcheck import gradcheck, numerical_grad
from tests.helpers import assert_close, check_op

TF = torch.nn.functional


def t_sign(x):
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)


def t_ste(x):
    """sign(x) forward, 1_{|x| ≤ 1} backward (torch.clamp's gradient is inclusive)."""
    c = x.clamp(-1, 1)
    return c + (t_sign(x) - c).detach()


def t_binarize(w, chain=False):
    dims = tuple(range(1, w.ndim))
    alpha = w.abs().mean(dim=dims, keepdim=True)
    return (alpha if chain else alpha.detach()) * t_ste(w)


def t_xnor_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, scale=False,
                chain=False):
    y = TF.conv2d(t_ste(x), t_binarize(w, chain), None, stride, padding, dilation, groups)
    if scale:
        kh, kw = w.shape[2:]
        box = torch.full((1, 1, kh, kw), 1.0 / (kh * kw), dtype=x.dtype)
        y = y * TF.conv2d(x.abs().mean(1, keepdim=True), box, None, stride, padding, dilation)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def test_sign_of_zero_is_plus_one_and_ste_boundary_is_inclusive():
    x = gw.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5], requires_grad=True)
    y = F.sign_ste(x)
    np.testing.assert_array_equal(y.detach().numpy(), [-1, -1, -1, 1, 1, 1, 1])
    y.backward(gw.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0, 2, 3, 4, 5, 6, 0])   # 1_{|x| ≤ 1}·g


def test_sign_ste_matches_torch_reference():
    x = np.random.default_rng(1).uniform(-2, 2, (4, 7))
    check_op(F.sign_ste, t_ste, arrays=[x], numeric=False, dtypes=(np.float64, np.float32))


@pytest.mark.parametrize("chain", [False, True])
@pytest.mark.parametrize("shape", [(5, 3, 3, 3), (4, 7), (3, 1, 1, 1)])
def test_binarize_weight_matches_torch(shape, chain):
    w = np.random.default_rng(2).uniform(-1.3, 1.3, shape)
    out = check_op(lambda a: F.binarize_weight(a, "chain" if chain else "constant"),
                   lambda a: t_binarize(a, chain), arrays=[w], numeric=False)[0]
    alpha = np.abs(w).reshape(shape[0], -1).mean(1)
    np.testing.assert_allclose(np.abs(out.detach().numpy()).reshape(shape[0], -1), alpha[:, None]
                               * np.ones((1, out.detach().numpy()[0].size)))


def test_binarize_weight_chain_rule_minus_ste_is_the_true_derivative():
    """Away from zeros of W, d(α·sign W)/dW is the α path alone (sign is flat there): the
    "chain" gradient minus its STE term α·g·1_{|W|≤1} must equal central differences."""
    rng = np.random.default_rng(3)
    w = rng.uniform(0.1, 1.2, (4, 3, 2, 2)) * rng.choice([-1, 1], (4, 3, 2, 2))
    v = rng.standard_normal(w.shape)
    wt = gw.Tensor(w.copy(), requires_grad=True)
    (F.binarize_weight(wt, "chain") * gw.Tensor(v)).sum().backward()
    alpha = np.abs(w).mean(axis=(1, 2, 3), keepdims=True)
    ste_term = alpha * v * (np.abs(w) <= 1)
    num = numerical_grad(lambda a: F.binarize_weight(a, "chain"), [gw.Tensor(w.copy(),
                         requires_grad=True)], [v])[0]
    np.testing.assert_allclose(wt.grad.detach().numpy() - ste_term, num, atol=1e-6)
    # the constant form is the STE term alone
    wc = gw.Tensor(w.copy(), requires_grad=True)
    (F.binarize_weight(wc, "constant") * gw.Tensor(v)).sum().backward()
    np.testing.assert_allclose(wc.grad.detach().numpy(), ste_term)


def test_binarize_weight_rejects_unknown_gradient_form():
    with pytest.raises(ValueError, match="alpha_grad must be one of"):
        F.binarize_weight(gw.randn(2, 3), "exact")


def test_input_scale_gradcheck_and_torch():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 5))
    box = torch.full((1, 1, 3, 2), 1 / 6, dtype=torch.float64)
    check_op(lambda a: F.input_scale(a, (3, 2), 2, 1, 1),
             lambda a: TF.conv2d(a.abs().mean(1, keepdim=True), box, None, 2, 1, 1),
             arrays=[x])


def test_binary_conv2d_input_gradient_is_exact():
    """BWN: the input is real, so its gradient is the true one (gradcheck in x)."""
    rng = np.random.default_rng(5)
    x = gw.Tensor(rng.standard_normal((2, 4, 5, 5)), requires_grad=True)
    w = gw.Tensor(rng.standard_normal((4, 2, 3, 3)))
    gradcheck(lambda a: F.binary_conv2d(a, w, None, 1, 1, 1, 2), [x])


def test_binary_conv2d_matches_torch():
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.uniform(-1.2, 1.2, (6, 2, 3, 3)), \
        rng.standard_normal(6)
    check_op(lambda a, c, d: F.binary_conv2d(a, c, d, 2, 1, 1, 2, "chain"),
             lambda a, c, d: TF.conv2d(a, t_binarize(c, True), d, 2, 1, 1, 2),
             arrays=[x, w, b], numeric=False)


@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("chain", [False, True])
def test_xnor_conv2d_matches_torch(scale, chain):
    rng = np.random.default_rng(7)
    x, w, b = rng.uniform(-1.5, 1.5, (2, 4, 7, 6)), rng.uniform(-1.2, 1.2, (6, 2, 3, 2)), \
        rng.standard_normal(6)
    check_op(lambda a, c, d: F.xnor_conv2d(a, c, d, (2, 1), 1, (1, 2), 2, scale,
                                           "chain" if chain else "constant"),
             lambda a, c, d: t_xnor_conv(a, c, d, (2, 1), 1, (1, 2), 2, scale, chain),
             arrays=[x, w, b], numeric=False, dtypes=(np.float64, np.float32))


@pytest.mark.parametrize("scale", [False, True])
def test_binary_and_xnor_linear_match_torch(scale):
    rng = np.random.default_rng(8)
    x, w, b = rng.uniform(-1.5, 1.5, (5, 9)), rng.uniform(-1.2, 1.2, (4, 9)), \
        rng.standard_normal(4)
    check_op(lambda a, c, d: F.binary_linear(a, c, d), lambda a, c, d: TF.linear(
        a, t_binarize(c), d), arrays=[x, w, b], numeric=False)

    def ref(a, c, d):
        y = TF.linear(t_ste(a), t_binarize(c))
        return (y * a.abs().mean(-1, keepdim=True) if scale else y) + d
    check_op(lambda a, c, d: F.xnor_linear(a, c, d, scale), ref, arrays=[x, w, b],
             numeric=False)


def _geometries(count, seed):
    """Random conv geometries: stride, padding, dilation, groups, odd sizes."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        g = int(rng.choice([1, 1, 2, 3]))
        cg, kg = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s, d = (int(rng.integers(1, 4)), int(rng.integers(1, 3))), \
            (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        p = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        H = int(rng.integers(d[0] * (kh - 1) + 1, 10))
        W = int(rng.integers(d[1] * (kw - 1) + 1, 10))
        yield (int(rng.integers(1, 3)), g * cg, H, W), (g * kg, cg, kh, kw), s, p, d, g


@pytest.mark.parametrize("geometry", list(_geometries(50, 9)))
def test_forward_equals_float_reference_conv(geometry):
    """BWN and XNOR forward = the float convolution of sign(W)·α (and of sign(x))."""
    xs, ws, s, p, d, g = geometry
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    x[rng.random(xs) < 0.1] = 0                     # zeros binarise to +1
    alpha = np.abs(w).reshape(ws[0], -1).mean(1)[:, None, None, None]
    wb = torch.from_numpy(np.where(w >= 0, 1.0, -1.0) * alpha)
    xt = torch.from_numpy(x)
    args = (s, p, d, g)
    assert_close(F.binary_conv2d(gw.Tensor(x), gw.Tensor(w), None, *args),
                 TF.conv2d(xt, wb, None, *args), 1e-10, 1e-10)
    assert_close(F.xnor_conv2d(gw.Tensor(x), gw.Tensor(w), None, *args),
                 TF.conv2d(t_sign(xt), wb, None, *args), 1e-10, 1e-10)
