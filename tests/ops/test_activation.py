"""relu, leaky_relu, elu, tanh, sigmoid, softplus, softmax, log_softmax
(gradwork/ops/activation.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.ops import activation as activation_ops
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
SHAPES = [(3, 4), (), (1,), (2, 1, 3)]
# inputs kept away from the kinks at 0 so that central differences are meaningful
AWAY = np.array([[-2.0, -0.7, -0.1, 0.2], [0.9, 3.0, -25.0, 25.0]])
ELEMENTWISE = {
    "relu": (F.relu, TF.relu), "tanh": (F.tanh, torch.tanh), "sigmoid": (F.sigmoid, torch.sigmoid),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu),
    "leaky_relu-0.2": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    "elu": (F.elu, TF.elu), "elu-0.5": (lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
    "softplus": (F.softplus, TF.softplus),
    "softplus-beta": (lambda x: F.softplus(x, beta=2.0, threshold=5.0),
                      lambda x: TF.softplus(x, beta=2.0, threshold=5.0)),
    "relu-method": (lambda x: x.relu(), lambda x: x.relu()),
    "sigmoid-gw": (gw.sigmoid, torch.sigmoid), "tanh-gw": (gw.tanh, torch.tanh),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise(name):
    g, t = ELEMENTWISE[name]
    check_op(g, t, arrays=[AWAY], dtypes=BOTH)
    for shape in SHAPES:
        check_op(g, t, shapes=[shape], dtypes=BOTH)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu"])
def test_gradient_at_zero_matches_pytorch(name):
    g, t = ELEMENTWISE[name]
    check_op(g, t, arrays=[np.array([-1.0, 0.0, 1.0])], numeric=False, dtypes=BOTH)


@pytest.mark.parametrize("dtype", BOTH)
def test_relu_compiled_backward_on_large_arrays_with_strided_gradients(dtype):
    """From 2^20 elements relu's backward is one compiled pass (gradwork.kernels); fed a
    transposed incoming gradient and exact zeros, it must match PyTorch bit for bit."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1024, 1030)).astype(dtype)
    x[::7, ::5] = 0.0
    g = rng.standard_normal((1030, 1024)).astype(dtype)
    gx = gw.tensor(x, requires_grad=True)
    (F.relu(gx).transpose(0, 1) * gw.tensor(g)).sum().backward()
    tx = torch.from_numpy(x).requires_grad_()
    (TF.relu(tx).transpose(0, 1) * torch.from_numpy(g)).sum().backward()
    assert gx.grad.dtype == dtype
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())


def test_relu_backward_takes_strided_gradients_and_half_precision():
    """relu's backward with a transposed incoming gradient, and float16 (NumPy's
    mask-and-multiply at any size)."""
    check_op(lambda x: F.relu(x).transpose(0, 1) * 3, lambda x: TF.relu(x).transpose(0, 1) * 3,
             arrays=[AWAY], dtypes=BOTH)
    x = gw.tensor(AWAY.astype(np.float16), requires_grad=True)
    F.relu(x).sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad.numpy(), (AWAY > 0).astype(np.float16))


@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name, dim):
    g, t = getattr(F, name), getattr(TF, name)
    check_op(lambda x: g(x, dim), lambda x: t(x, dim), shapes=[(2, 3, 4)], dtypes=BOTH)
    check_op(lambda x: getattr(x, name)(dim), lambda x: getattr(x, name)(dim), shapes=[(2, 1, 3)])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_edge_shapes(name):
    g, t = getattr(F, name), getattr(TF, name)
    check_op(lambda x: g(x, 0), lambda x: t(x, 0), shapes=[(1,)], dtypes=BOTH)
    check_op(lambda x: g(x, -1), lambda x: t(x, -1), shapes=[(1, 5)], dtypes=BOTH)
    check_op(lambda x: g(x, 0), lambda x: t(x, 0), shapes=[()], dtypes=BOTH)
    check_op(lambda x: g(x, 0, dtype=gw.float64), lambda x: t(x, 0, dtype=torch.float64),
             shapes=[(3,)], dtypes=(np.float32,), numeric=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_stable_for_huge_logits(name):
    g, t = getattr(F, name), getattr(TF, name)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1.0, 1e4]])
    out = check_op(lambda x: g(x, 1), lambda x: t(x, 1), arrays=[logits], dtypes=BOTH,
                   numeric=False)
    assert np.isfinite(out[0].detach().numpy()).all()
    x = gw.tensor(logits.astype(np.float32), requires_grad=True)
    (g(x, 1) * gw.tensor(np.arange(9.0, dtype=np.float32).reshape(3, 3))).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_legacy_implicit_dim(name, shape):
    g, t = getattr(F, name), getattr(TF, name)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = g(gw.tensor(np.random.default_rng(0).standard_normal(shape)))
    with pytest.warns(UserWarning):
        ref = t(torch.from_numpy(np.random.default_rng(0).standard_normal(shape)))
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-12)


def test_softmax_dim_out_of_range():
    with pytest.raises(IndexError, match=r"softmax: dim 2 is out of range for shape \(2, 3\)"):
        F.softmax(gw.randn(2, 3), 2)


def test_sigmoid_tails():
    x = np.array([-100.0, -30.0, 30.0, 100.0])
    check_op(F.sigmoid, torch.sigmoid, arrays=[x], numeric=False, dtypes=BOTH, atol=1e-30,
             rtol=1e-5)


def test_relu_cut_over_threads_gives_the_bits_of_one_thread():
    """relu's forward and compiled backward are cut into flat ranges per thread (from 2^20
    elements): the same values as one thread and as the NumPy expression."""
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((3, 8, 200, 230), dtype=np.float32)
    gs = rng.standard_normal(xs.shape, dtype=np.float32)
    assert xs.size >= activation_ops._COMPILED_FROM
    before, results = gw.get_num_threads(), []
    try:
        for threads in (1, 2, 3):
            gw.set_num_threads(threads)
            x = gw.tensor(xs, requires_grad=True)
            y = F.relu(x)
            y.backward(gw.tensor(gs))
            results.append((y.detach().numpy(), x.grad.numpy()))
    finally:
        gw.set_num_threads(before)
    for y, gx in results:
        np.testing.assert_array_equal(y, np.maximum(xs, 0))
        np.testing.assert_array_equal(gx, gs * (xs > 0))


def test_tanh_backward_in_one_array_equals_the_formula_bit_for_bit():
    """Tanh's backward writes g(1 − y²) into one fresh array; the same bits as the formula
    (and the out-of-place path for a gradient of another dtype)."""
    from gradwork.ops.activation import Tanh
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 5)).astype(np.float32)
    g = rng.standard_normal((7, 5)).astype(np.float32)
    fn = Tanh()
    y = fn.forward(x)
    np.testing.assert_array_equal(fn.backward(g), g * (1 - y * y))
    g64 = g.astype(np.float64)
    got = fn.backward(g64)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, g64 * (1 - y * y))


@pytest.mark.parametrize("shape", [(8, 8), (64, 84), (4, 6, 28, 28)])
def test_relu_forward_against_zeros_and_compiled_backward_equal_the_reference(shape):
    """Below _KERNEL_FROM NumPy's g·[y > 0]; from it (LeNet-5's sizes) the compiled one-pass
    backward; the forward compares with an array of zeros: the bits of np.maximum(x, 0),
    −0.0 and NaN included, and the gradient [x > 0]·g (PyTorch's)."""
    rng = np.random.default_rng(5)
    xs = rng.standard_normal(shape, dtype=np.float32)
    xs.flat[::11], xs.flat[3] = -0.0, np.nan
    gs = rng.standard_normal(shape, dtype=np.float32)
    x = gw.tensor(xs, requires_grad=True)
    y = F.relu(x)
    y.backward(gw.tensor(gs))
    np.testing.assert_array_equal(y.detach().numpy().view(np.int32),
                                  np.maximum(xs, 0).view(np.int32))
    np.testing.assert_array_equal(x.grad.numpy(), np.where(xs > 0, gs, 0))
    tx = torch.tensor(xs, requires_grad=True)
    TF.relu(tx).backward(torch.tensor(gs))
    finite = ~np.isnan(xs)
    np.testing.assert_array_equal(x.grad.numpy()[finite], tx.grad.numpy()[finite])
