"""Self-tests of the test helpers (tests/helpers.py, gradcheck, zoo_helpers.needs_layers): each
must fail on a wrong value and on a wrong gradient, or every test built on it could pass
silently (issue 14 item 8)."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.autograd import Function
from gradwork.tools import gradcheck
from tests.helpers import assert_close, check_op
from tests.models import zoo_helpers


class _WrongGrad(Function):
    """y = x², with a backward that returns 2.01·x·dy: a gradient 0.5 % off."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return 2.01 * self.x * g


def _wrong_grad(x):
    return _WrongGrad.apply(x)


def test_check_op_passes_a_correct_op():
    check_op(lambda x: x * x, lambda x: x * x, shapes=[(3, 4)])


def test_check_op_fails_on_a_wrong_value():
    with pytest.raises(AssertionError, match="forward output 0"):
        check_op(lambda x: x * x * 1.001, lambda x: x * x, shapes=[(3, 4)])


def test_check_op_fails_on_a_wrong_shape_and_dtype():
    with pytest.raises(AssertionError, match="shape"):
        check_op(lambda x: x.sum(0), lambda x: x.sum(1), shapes=[(3, 4)])
    with pytest.raises(AssertionError, match="dtype"):
        check_op(lambda x: x * x, lambda x: (x * x).float(), shapes=[(3, 4)], grad=False)


def test_check_op_fails_on_a_wrong_gradient():
    with pytest.raises(AssertionError, match="gradient of input 0"):
        check_op(_wrong_grad, lambda x: x * x, shapes=[(3, 4)], numeric=False)


def test_gradcheck_fails_on_a_wrong_gradient():
    x = gw.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda x: x * x, [x])
    with pytest.raises(AssertionError):
        gradcheck(_wrong_grad, [x])


def test_assert_close_fails_beyond_its_tolerance():
    assert_close(np.ones(3), torch.ones(3, dtype=torch.float64) + 1e-9)
    with pytest.raises(AssertionError, match="value"):
        assert_close(np.ones(3), torch.ones(3, dtype=torch.float64) + 1e-3)


def test_needs_layers_fails_instead_of_skipping():
    assert zoo_helpers.needs_layers("Conv2d", "LSTM") == []
    with pytest.raises(AssertionError, match="gradwork.nn lacks NoSuchLayer"):
        zoo_helpers.needs_layers("Conv2d", "NoSuchLayer")
