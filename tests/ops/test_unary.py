"""exp, log, sqrt, abs, sign, sin, cos, clamp (gradwork/ops/unary.py) against PyTorch."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
SHAPES = [(3, 4), (), (1,), (2, 1, 3)]
UNARY = {"exp": False, "log": True, "sqrt": True, "abs": False, "sin": False, "cos": False,
         "neg": False}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary(name, shape):
    check_op(getattr(gw, name), getattr(torch, name), shapes=[shape], dtypes=BOTH,
             positive=UNARY[name])
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), shapes=[shape],
             positive=UNARY[name])


def test_abs_at_zero_has_zero_gradient():
    check_op(gw.abs, torch.abs, arrays=[np.array([-1.0, 0.0, 2.0])], numeric=False)
    check_op(lambda x: abs(x), lambda x: abs(x), shapes=[(3,)])


def test_sign_has_zero_gradient():
    check_op(gw.sign, torch.sign, arrays=[np.array([-1.5, 0.0, 2.0])], numeric=False)


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (-0.5, None), (None, 0.5), (0.3, 0.3)], ids=str)
def test_clamp(bounds):
    lo, hi = bounds
    check_op(lambda x: gw.clamp(x, lo, hi), lambda x: torch.clamp(x, lo, hi), shapes=[(4, 5)],
             numeric=False, dtypes=BOTH)
    check_op(lambda x: x.clamp(min=lo, max=hi), lambda x: x.clamp(min=lo, max=hi),
             arrays=[np.array([-2.0, -0.7, 0.1, 0.9, 3.0])])


def test_clamp_gradient_passes_at_the_bounds():
    # PyTorch's clamp passes the gradient where lo ≤ x ≤ hi, bounds included
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    check_op(lambda x: gw.clamp(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5), arrays=[x],
             numeric=False)


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp: at least one of min and max"):
        gw.clamp(gw.randn(3))


def test_log_of_zero_is_minus_inf():
    x = gw.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore"):          # NumPy warns where PyTorch is silent
        y = gw.log(x)
    assert y.detach().numpy()[0] == -np.inf and y.dtype == np.float32


def test_clamp_with_tensor_bounds():
    lo, hi = np.array([-0.5, 0.0, 0.2]), np.array(0.6)
    check_op(lambda x: x.clamp(gw.tensor(lo), gw.tensor(hi)),
             lambda x: x.clamp(torch.from_numpy(lo), torch.from_numpy(hi)),
             arrays=[np.array([[-1.0, 0.1, 0.9], [0.3, -0.2, 0.1]])])


BOUND_CASES = [((4,), (4,), (4,)), ((2, 3), (3,), (2, 1)), ((2, 3), (2, 3), None),
               ((2, 3), None, (1, 3)), ((0, 3), (3,), (3,)),
               ((2, 3), (), (2, 3))]


@pytest.mark.parametrize("x_shape,lo_shape,hi_shape", BOUND_CASES, ids=str)
def test_clamp_gives_gradients_to_tensor_bounds(x_shape, lo_shape, hi_shape):
    # lo − 0.3 and hi + 0.3 keep most of x between them; some bounds cross (lo > hi)
    shapes = [x_shape] + [s for s in (lo_shape, hi_shape) if s is not None]

    def call(mod):
        def fn(x, *b):
            b = list(b)
            lo = b.pop(0) - 0.3 if lo_shape is not None else None
            hi = b.pop(0) + 0.3 if hi_shape is not None else None
            return mod.clamp(x, lo, hi)
        return fn
    check_op(call(gw), call(torch), shapes=shapes, dtypes=BOTH, seed=3)


def test_clamp_with_bounds_on_ties_and_non_contiguous_input():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    lo, hi = np.array([0.0, 2.0, 2.0]), np.array([[1.0], [4.0]])
    check_op(lambda a, b, c: a.t().t().clamp(b, c), lambda a, b, c: a.t().t().clamp(b, c),
             arrays=[x, lo, hi], numeric=False)
    check_op(lambda a, b: gw.clamp_min(a.t(), b), lambda a, b: torch.clamp_min(a.t(), b),
             shapes=[(3, 2), (3,)])


@pytest.mark.parametrize("decimals", [0, 1, -1])
def test_round_half_to_even_with_zero_gradient(decimals):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.25, 14.9, 15.0, 0.049])
    check_op(lambda a: gw.round(a, decimals=decimals), lambda a: torch.round(a, decimals=decimals),
             arrays=[x], numeric=False, dtypes=BOTH)


@pytest.mark.parametrize("kw", [{}, dict(nan=1.5), dict(posinf=9.0, neginf=-9.0),
                                dict(nan=-1.0, posinf=2.0)], ids=str)
def test_nan_to_num_and_predicates(kw):
    x = np.array([[np.nan, 1.0, np.inf], [-np.inf, -2.0, 0.0]])
    check_op(lambda a: gw.nan_to_num(a, **kw), lambda a: torch.nan_to_num(a, **kw), arrays=[x],
             numeric=False, dtypes=BOTH)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match"):
        gw.randn(3).clamp(gw.zeros(2, 3))
    for name in ("isnan", "isinf", "isfinite"):
        check_op(lambda a, name=name: getattr(a, name)(), lambda a, name=name: getattr(a, name)(),
                 arrays=[x], grad=False)
        check_op(getattr(gw, name), getattr(torch, name), shapes=[(0, 2)], grad=False)
    check_op(lambda a: a.t().nan_to_num(), lambda a: a.t().nan_to_num(), shapes=[(2, 3)])
