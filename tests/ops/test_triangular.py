"""tril and triu (gradwork/ops/triangular.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op


@pytest.mark.parametrize("diagonal", [0, 1, -1, 3, -4])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (2, 3, 4), (0, 3), (1, 1)], ids=str)
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_against_torch(name, shape, diagonal):
    check_op(lambda x: getattr(gw, name)(x, diagonal), lambda x: getattr(torch, name)(x, diagonal),
             shapes=[shape], dtypes=(np.float64, np.float32))


def test_non_contiguous_and_bad_rank():
    check_op(lambda x: x.t().tril(), lambda x: x.t().tril(), shapes=[(3, 4)])
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        gw.triu(gw.randn(3))
