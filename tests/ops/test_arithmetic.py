"""+ − × ÷ pow neg (gradwork/ops/arithmetic.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
# broadcasting, size-1 dims, 0-d and batch-of-one pairs
SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((), (2, 3)), ((2, 3), ()),
          ((), ()), ((1,), (3, 1)), ((2, 1, 4), (3, 1)), ((1, 4), (1, 4))]
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_broadcasting(op, shapes):
    fn = BINARY[op]
    check_op(fn, fn, shapes=list(shapes), dtypes=BOTH, positive=op in ("div", "pow"))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_functional_forms(name):
    check_op(getattr(gw, name), getattr(torch, name), shapes=[(2, 3), (3,)], positive=True)


def test_alpha():
    check_op(lambda a, b: gw.add(a, b, alpha=2.5), lambda a, b: torch.add(a, b, alpha=2.5),
             shapes=[(2, 3), (2, 3)])
    check_op(lambda a, b: gw.sub(a, b, alpha=-3), lambda a, b: torch.sub(a, b, alpha=-3),
             shapes=[(2, 3), (3,)])


SCALAR_FORMS = {
    "x+2": lambda x: x + 2, "2+x": lambda x: 2 + x, "x-2.5": lambda x: x - 2.5,
    "2-x": lambda x: 2 - x, "x*2.5": lambda x: x * 2.5, "3*x": lambda x: 3 * x,
    "x/3": lambda x: x / 3, "2/x": lambda x: 2 / x, "x**2": lambda x: x ** 2,
    "x**3": lambda x: x ** 3, "x**0.5": lambda x: x ** 0.5, "x**-1.5": lambda x: x ** -1.5,
    "x**1": lambda x: x ** 1, "2**x": lambda x: 2 ** x, "0.5**x": lambda x: 0.5 ** x,
    "-x": lambda x: -x, "x-x": lambda x: x - x, "x*x/x": lambda x: x * x / x,
    "x*np64": lambda x: x * np.float64(1.5), "np64-x": lambda x: np.float64(1.5) - x,
}


@pytest.mark.parametrize("shape", [(3, 4), (), (1,)], ids=str)
@pytest.mark.parametrize("form", list(SCALAR_FORMS))
def test_scalar_forms_keep_dtype(form, shape):
    fn = SCALAR_FORMS[form]
    check_op(fn, fn, shapes=[shape], dtypes=BOTH, positive=True)


@pytest.mark.parametrize("exponent", [0, 0.0, 2, 1.5])
def test_pow_scalar_at_zero(exponent):
    # d(x^c)/dx at x = 0 is 0 for c = 0 (not 0·0⁻¹ = nan), and c x^(c−1) otherwise
    arr = np.array([0.0, 1.5, 2.0])
    check_op(lambda x: x ** exponent, lambda x: x ** exponent, arrays=[arr], numeric=False)


def test_pow_tensor_exponent_at_zero_base():
    # d(a^b)/db = a^b ln a is taken as 0 where a = 0 and b ≥ 0 (PyTorch's convention)
    a, b = np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 3.0])
    check_op(lambda a, b: a ** b, lambda a, b: a ** b, arrays=[a, b], numeric=False)


INT_FORMS = {
    "i*2.5": lambda x: x * 2.5, "i+1": lambda x: x + 1, "i/2": lambda x: x / 2,
    "2/i": lambda x: 2 / x, "i**2": lambda x: x ** 2, "i**0.5": lambda x: x ** 0.5,
    "2**i": lambda x: 2 ** x, "2.0**i": lambda x: 2.0 ** x, "i-0.5": lambda x: x - 0.5,
    "1.5-i": lambda x: 1.5 - x, "i/i": lambda x: x / x, "i*i": lambda x: x * x,
}


@pytest.mark.parametrize("form", list(INT_FORMS))
def test_integer_promotion(form):
    # integer tensor with a float scalar gives float32, as PyTorch; integer with int stays int64
    fn = INT_FORMS[form]
    check_op(fn, fn, arrays=[np.array([1, 2, 3])], grad=False)


def test_float32_with_float64_array_operand():
    # a float64 ndarray operand is a constant of the tensor's dtype (no silent upcast)
    x = gw.randn(3, requires_grad=True)
    y = x * np.arange(3.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", list(BINARY))
def test_broadcast_error_names_op_and_shapes(op):
    a, b = gw.randn(2, 3), gw.randn(4)
    with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        BINARY[op](a, b)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
@pytest.mark.parametrize("shapes", [((3,), ()), ((), (3,)), ((2, 3), (3,))], ids=str)
def test_mixed_float_dtypes_promote_like_pytorch(shapes, op):
    # float32 with a 0-d float64 stays float32 (dimensioned tensors win); float32 with a
    # dimensioned float64 is float64; gradients come back in each input's own dtype
    a = np.random.default_rng(0).standard_normal(shapes[0]).astype(np.float32)
    b = np.asarray(np.random.default_rng(1).standard_normal(shapes[1]) + 3.0)
    ga, gb = gw.tensor(a, requires_grad=True), gw.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gout, tout = getattr(gw, op)(ga, gb), getattr(torch, op)(ta, tb)
    assert gout.dtype == np.dtype(str(tout.dtype)[6:])
    np.testing.assert_allclose(gout.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    gout.sum().backward()
    tout.sum().backward()
    for g, t in ((ga, ta), (gb, tb)):
        assert g.grad.dtype == g.dtype
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-6)


LERP = [((3,), (3,), 0.3), ((2, 3), (3,), 0.7), ((2, 3), (2, 3), (2, 3)), ((2, 1), (1, 3), (3,)),
        ((), (2,), ()), ((0, 2), (2,), 0.5), ((3, 4), (3, 4), 1.0)]


@pytest.mark.parametrize("a,b,w", LERP, ids=str)
def test_lerp(a, b, w):
    if isinstance(w, tuple):
        check_op(gw.lerp, torch.lerp, shapes=[a, b, w], dtypes=BOTH)
    else:
        check_op(lambda x, y: gw.lerp(x, y, w), lambda x, y: torch.lerp(x, y, w), shapes=[a, b],
                 dtypes=BOTH)
    check_op(lambda x, y: x.t().lerp(y.t(), 0.25), lambda x, y: x.t().lerp(y.t(), 0.25),
             shapes=[(2, 3), (2, 3)])
