"""F.unfold / F.fold (gradwork/ops/fold.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

CASES = [  # (H, W, kernel, dilation, padding, stride)
    (4, 4, 2, 1, 0, 1), (4, 5, (2, 3), 1, 0, 1), (5, 5, 3, 1, 1, 1), (5, 5, 3, 1, 1, 2),
    (6, 5, 2, 2, 0, 1), (6, 6, (3, 2), (2, 1), (1, 0), (2, 1)), (3, 3, 3, 1, 0, 1),
    (4, 4, 1, 1, 0, 2), (4, 3, 2, 1, (0, 1), (1, 2)), (5, 4, 2, 1, 2, 3), (3, 4, (1, 3), 1, 0, 1),
    (5, 5, 2, (1, 2), 1, (2, 2)), (2, 2, 2, 1, 0, 1),
]


@pytest.mark.parametrize("h,w,k,d,p,s", CASES, ids=str)
def test_unfold_and_fold_against_torch(h, w, k, d, p, s):
    kw = dict(kernel_size=k, dilation=d, padding=p, stride=s)
    check_op(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), shapes=[(2, 2, h, w)],
             dtypes=(np.float64, np.float32))
    cols = TF.unfold(__import__("torch").zeros(2, 2, h, w), **kw).shape
    check_op(lambda c: F.fold(c, (h, w), **kw), lambda c: TF.fold(c, (h, w), **kw),
             shapes=[tuple(cols)], dtypes=(np.float64, np.float32))


def test_unbatched_non_contiguous_and_empty_batch():
    check_op(lambda x: F.unfold(x.transpose(1, 2), 2), lambda x: TF.unfold(x.transpose(1, 2), 2),
             shapes=[(2, 3, 4)])
    check_op(lambda x: F.unfold(x, 2), lambda x: TF.unfold(x, 2), shapes=[(0, 1, 3, 3)])
    check_op(lambda c: F.fold(c, (3, 3), 2), lambda c: TF.fold(c, (3, 3), 2), shapes=[(4, 4)])


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair of ints"):
        F.unfold(gw.randn(1, 1, 3, 3), 0)
    with pytest.raises(ValueError, match=r"fold: expected input of shape \(N, C·2·2, 4\)"):
        F.fold(gw.randn(1, 4, 5), (3, 3), 2)
