"""sort, argsort, topk (gradwork/ops/sort.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
SHAPES_DIMS = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1),
               ((2, 3, 4), -2), ((0, 3), 1), ((3, 0), 1), ((1, 1), 0)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
def test_sort_and_argsort(shape, dim, descending):
    check_op(lambda x: gw.sort(x, dim=dim, descending=descending),
             lambda x: torch.sort(x, dim=dim, descending=descending), shapes=[shape], dtypes=BOTH)
    check_op(lambda x: x.argsort(dim=dim, descending=descending),
             lambda x: x.argsort(dim=dim, descending=descending), shapes=[shape], grad=False)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape,dim,k", [((6,), 0, 3), ((6,), -1, 6), ((6,), 0, 0), ((3, 5), 1, 2),
                                         ((3, 5), 0, 1), ((2, 3, 4), -1, 4), ((2, 3, 4), 1, 2)],
                         ids=str)
def test_topk(shape, dim, k, largest):
    check_op(lambda x: gw.topk(x, k, dim=dim, largest=largest),
             lambda x: torch.topk(x, k, dim=dim, largest=largest), shapes=[shape], dtypes=BOTH)


def test_non_contiguous_ties_and_nan():
    check_op(lambda x: x.transpose(0, 1).sort(dim=0), lambda x: x.transpose(0, 1).sort(dim=0),
             shapes=[(3, 4)])
    x = np.array([[1.0, 3.0, 1.0, np.nan, 3.0, -2.0]])
    for desc in (False, True):
        v, i = gw.tensor(x).sort(dim=1, descending=desc, stable=True)
        tv, ti = torch.tensor(x).sort(dim=1, descending=desc, stable=True)
        np.testing.assert_array_equal(v.numpy(), tv.numpy())
        np.testing.assert_array_equal(i.numpy(), ti.numpy())


def test_topk_rejects_a_k_larger_than_the_dim():
    with pytest.raises(ValueError, match=r"topk: k must be an int in \[0, 3\]"):
        gw.topk(gw.randn(3), 4)
