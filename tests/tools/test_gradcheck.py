"""gradcheck must fail on a wrong gradient, a NaN one included (NaN > tol is False: a NaN
analytic gradient used to pass)."""
import numpy as np
import pytest

import gradwork as gw
from gradwork.autograd.function import Function
from gradwork.tools import gradcheck


class _Square(Function):
    """y = x², with a backward that returns `bad` in place of 2x·g when given."""
    bad = None

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return 2 * self.x * g if self.bad is None else np.full_like(self.x, self.bad)


class _NaNSquare(_Square):
    bad = np.nan


class _WrongSquare(_Square):
    bad = 1.0


def _x():
    return gw.tensor(np.linspace(0.5, 1.5, 6), dtype=gw.float64, requires_grad=True)


def test_a_right_gradient_passes():
    assert gradcheck(lambda x: _Square.apply(x), [_x()])


@pytest.mark.parametrize("op", [_NaNSquare, _WrongSquare])
def test_a_wrong_or_nan_gradient_fails(op):
    with pytest.raises(AssertionError, match="gradcheck: input 0"):
        gradcheck(lambda x: op.apply(x), [_x()])
