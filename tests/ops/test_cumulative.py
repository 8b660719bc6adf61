"""cumsum and cumprod (gradwork/ops/cumulative.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
CASES = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1),
         ((2, 3, 4), -3), ((0, 3), 0), ((3, 0), 1), ((), 0), ((1,), 0), ((4, 1), -1)]


@pytest.mark.parametrize("shape,dim", CASES, ids=str)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_against_torch(name, shape, dim):
    check_op(lambda x: getattr(gw, name)(x, dim), lambda x: getattr(torch, name)(x, dim),
             shapes=[shape], dtypes=BOTH)


@pytest.mark.parametrize("zeros", [[1], [0, 3], [2, 2]], ids=str)
def test_cumprod_gradient_is_exact_with_zeros(zeros):
    x = np.random.default_rng(0).standard_normal((2, 5))
    x[:, sorted(set(zeros))] = 0.0
    check_op(lambda a: a.cumprod(1), lambda a: a.cumprod(1), arrays=[x])


def test_non_contiguous_and_integer_input():
    check_op(lambda x: x.t().cumsum(0), lambda x: x.t().cumsum(0), shapes=[(3, 4)])
    check_op(lambda x: x.t().cumprod(-1), lambda x: x.t().cumprod(-1), shapes=[(3, 4)])
    xi = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert gw.tensor(xi).cumsum(1).dtype == torch.tensor(xi).cumsum(1).numpy().dtype
    np.testing.assert_array_equal(gw.tensor(xi).cumsum(1).numpy(), np.cumsum(xi, 1))
