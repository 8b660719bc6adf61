"""F.interpolate (gradwork/ops/interpolate.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

CASES = [  # (input shape, mode, keywords)
    ((1, 2, 3, 4), "nearest", dict(scale_factor=2)), ((1, 1, 4, 4), "nearest", dict(size=(2, 3))),
    ((1, 1, 3, 5), "nearest", dict(size=(7, 4))), ((2, 1, 5), "nearest", dict(scale_factor=3)),
    ((1, 1, 2, 2, 2), "nearest", dict(scale_factor=2)),
    ((1, 1, 4, 6), "nearest", dict(scale_factor=0.5)),
    ((1, 2, 3, 4), "nearest", dict(scale_factor=(2, 1.5))),
    ((2, 1, 4), "linear", dict(size=7, align_corners=False)),
    ((2, 1, 4), "linear", dict(size=7, align_corners=True)),
    ((1, 1, 5), "linear", dict(scale_factor=0.5, align_corners=False)),
]
for align in (False, True):
    CASES += [((1, 2, 3, 4), "bilinear", dict(scale_factor=2, align_corners=align)),
              ((1, 1, 4, 4), "bilinear", dict(size=(3, 7), align_corners=align)),
              ((2, 1, 5, 3), "bilinear", dict(size=(2, 6), align_corners=align)),
              ((1, 1, 3, 3), "bilinear", dict(size=(1, 1), align_corners=align)),
              ((1, 1, 6, 4), "bilinear", dict(scale_factor=0.5, align_corners=align)),
              ((1, 1, 2, 3, 2), "trilinear", dict(size=(3, 2, 4), align_corners=align)),
              ((0, 1, 2, 2), "bilinear", dict(size=(3, 3), align_corners=align))]


@pytest.mark.parametrize("shape,mode,kw", CASES, ids=str)
def test_against_torch(shape, mode, kw):
    check_op(lambda x: F.interpolate(x, mode=mode, **kw),
             lambda x: TF.interpolate(x, mode=mode, **kw),
             shapes=[shape], dtypes=(np.float64, np.float32))


def test_non_contiguous_and_errors():
    fn = dict(mode="bilinear", scale_factor=2, align_corners=False)
    check_op(lambda x: F.interpolate(x.transpose(2, 3), **fn),
             lambda x: TF.interpolate(x.transpose(2, 3), **fn), shapes=[(1, 1, 3, 2)])
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(gw.randn(1, 1, 2, 2))
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(gw.randn(1, 1, 2, 2), scale_factor=2, align_corners=True)
