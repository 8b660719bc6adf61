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
    with pytest.raises(ValueError, match="clamp: min is a tensor that requires grad"):
        gw.randn(3).clamp(gw.zeros(3, requires_grad=True))
