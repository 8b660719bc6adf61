"""F.pad: constant (including negative pads that crop), reflect, replicate and circular
(gradwork/ops/pad.py) against PyTorch."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

BOTH = (np.float64, np.float32)


@pytest.mark.parametrize("shape, pad", [
    ((2, 3), (1, 2)), ((2, 3), (1, 1, 2, 0)), ((1, 2, 3, 4), (0, 1, 2, 3, 1, 0)),
    ((2, 3, 4), (-1, 2)), ((2, 3, 4), (1, -2, -1, 0)), ((2, 3, 4), (-1, -1, -1, -1)),
    ((2, 5), (-2, 0)), ((3,), (0, 0)), ((2, 3, 4), (0, 0, 0, 0, 0, 0))], ids=str)
@pytest.mark.parametrize("value", [0.0, -1.5])
def test_constant_pad(shape, pad, value):
    check_op(lambda x: F.pad(x, pad, value=value),
             lambda x: torch.nn.functional.pad(x, pad, value=value), shapes=[shape], dtypes=BOTH)


MODES = {  # PyTorch pads the last 1, 2 or 3 dims of a batched or unbatched input
    "reflect": [((2, 5), (2, 3)), ((1, 2, 5), (4, 1)), ((2, 3, 4), (1, 2, 2, 0)),
                ((1, 1, 3, 4, 3), (1, 1, 2, 0, 1, 2))],
    "replicate": [((2, 5), (2, 3)), ((1, 2, 3), (6, 0)), ((2, 3, 4), (1, 2, 3, 4)),
                  ((1, 1, 2, 2, 2), (1, 0, 0, 2, 3, 1))],
    "circular": [((2, 5), (2, 3)), ((1, 2, 3), (3, 1)), ((2, 3, 4), (1, 2, 3, 0)),
                 ((1, 1, 2, 3, 2), (1, 1, 2, 0, 1, 2)), ((1, 2, 4), (-1, 3)),
                 ((1, 2, 4), (2, -1))],
}


@pytest.mark.parametrize("mode, shape, pad", [(m, s, p) for m, cases in MODES.items()
                                              for s, p in cases], ids=str)
def test_index_pad(mode, shape, pad):
    check_op(lambda x: F.pad(x, pad, mode=mode),
             lambda x: torch.nn.functional.pad(x, pad, mode=mode), shapes=[shape], dtypes=BOTH)


@pytest.mark.parametrize("call, pattern", [
    (lambda x: F.pad(x, (1,)), r"pad: pad must have an even length"),
    (lambda x: F.pad(x, (1, 1, 1, 1, 1, 1)), r"pad: pad must have an even length of at most 2·2"),
    (lambda x: F.pad(x, (3, 0), mode="reflect"), r"pad: reflect padding \(3, 0\) on dimension 1"),
    (lambda x: F.pad(x, (1, 4), mode="circular"), r"pad: circular padding \(1, 4\) on dimension 1"),
    (lambda x: F.pad(x, (1, 1), mode="wrap"), r"pad: mode must be 'constant', 'reflect'"),
    (lambda x: F.pad(x, (-2, -2)), r"pad: padding \(-2, -2\) on dimension 1 leaves"),
], ids=["odd", "too-long", "reflect-size", "circular-size", "mode", "crop-all"])
def test_pad_errors(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(gw.randn(2, 3))
