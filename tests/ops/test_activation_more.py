"""selu, prelu, gelu (exact and tanh), silu, mish, hardswish (gradwork/ops/activation.py)
against PyTorch and central differences."""
import numpy as np
import pytest
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
# away from the kinks (0 for selu, ±3 for hardswish) so central differences are meaningful
AWAY = np.array([[-5.0, -2.9, -0.7, -0.1, 0.2], [0.9, 2.5, 3.2, -25.0, 25.0]])
NEW = {
    "selu": (F.selu, TF.selu),
    "gelu": (F.gelu, TF.gelu),
    "gelu-tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (F.silu, TF.silu), "mish": (F.mish, TF.mish), "hardswish": (F.hardswish, TF.hardswish),
}


@pytest.mark.parametrize("name", list(NEW))
def test_elementwise(name):
    g, t = NEW[name]
    check_op(g, t, arrays=[AWAY], dtypes=BOTH)
    for shape in [(3, 4), (), (0, 2), (2, 1, 3)]:
        check_op(g, t, shapes=[shape], dtypes=BOTH)


def test_hardswish_and_selu_at_their_kinks_match_pytorch():
    x = np.array([-3.0, 0.0, 3.0, -1e-9])
    for name in ("hardswish", "selu"):
        g, t = NEW[name]
        check_op(g, t, arrays=[x], numeric=False, dtypes=BOTH)


@pytest.mark.parametrize("shape,wshape", [((2, 3, 4), (3,)), ((2, 3, 4, 5), (3,)),
                                          ((2, 3), (1,)), ((4,), (1,)), ((2, 3, 4), (1,))])
def test_prelu(shape, wshape):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    x[np.abs(x) < 0.05] = 0.3
    w = rng.uniform(0.05, 0.5, wshape)
    check_op(F.prelu, TF.prelu, arrays=[x, w], dtypes=BOTH)


def test_prelu_and_gelu_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"prelu: weight must have shape \(1,\) or \(3,\)"):
        F.prelu(gw.zeros(2, 3, 4), gw.ones(2))
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(gw.zeros(2), approximate="erf")
