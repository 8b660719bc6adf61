"""flip, roll, repeat, repeat_interleave (gradwork/ops/rearrange.py) against PyTorch and
central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
CASES = [
    ("flip", (4,), dict(dims=[0])), ("flip", (3, 4), dict(dims=[1])),
    ("flip", (3, 4), dict(dims=[0, -1])), ("flip", (2, 3, 4), dict(dims=(-2,))),
    ("flip", (0, 3), dict(dims=[0])),
    ("roll", (5,), dict(shifts=2)), ("roll", (3, 4), dict(shifts=1, dims=1)),
    ("roll", (3, 4), dict(shifts=-1, dims=0)), ("roll", (3, 4), dict(shifts=(1, 2), dims=(0, 1))),
    ("roll", (2, 3, 4), dict(shifts=7, dims=-1)), ("roll", (3, 4), dict(shifts=5)),
    ("roll", (0, 2), dict(shifts=1, dims=1)),
]
REPEATS = [((3,), (2,)), ((3,), (2, 2)), ((2, 3), (1, 1)), ((2, 3), (2, 3)), ((2, 3), (3, 1, 2)),
           ((2, 1, 3), (1, 4, 1)), ((0, 2), (2, 2)), ((), (3,)), ((2, 3), (0, 1))]
INTERLEAVE = [((4,), 2, None), ((2, 3), 2, None), ((2, 3), 3, 0), ((2, 3), 2, 1),
              ((2, 3), 2, -1), ((2, 3), [1, 0, 2], 1), ((3, 2), [2, 1, 1], 0), ((2, 0), 2, 0),
              ((2, 3, 2), 1, 2)]


@pytest.mark.parametrize("name,shape,kw", CASES, ids=str)
def test_flip_roll(name, shape, kw):
    check_op(lambda x: getattr(x, name)(**kw), lambda x: getattr(x, name)(**kw), shapes=[shape],
             dtypes=BOTH)


@pytest.mark.parametrize("shape,sizes", REPEATS, ids=str)
def test_repeat(shape, sizes):
    check_op(lambda x: x.repeat(*sizes), lambda x: x.repeat(*sizes), shapes=[shape], dtypes=BOTH)


@pytest.mark.parametrize("shape,repeats,dim", INTERLEAVE, ids=str)
def test_repeat_interleave(shape, repeats, dim):
    reps_g = gw.tensor(repeats) if isinstance(repeats, list) else repeats
    reps_t = torch.tensor(repeats) if isinstance(repeats, list) else repeats
    check_op(lambda x: x.repeat_interleave(reps_g, dim=dim),
             lambda x: x.repeat_interleave(reps_t, dim=dim), shapes=[shape], dtypes=BOTH)


def test_non_contiguous_inputs():
    for fn in (lambda x: x.t().flip(0), lambda x: x.t().roll(1, 1), lambda x: x.t().repeat(2, 1),
               lambda x: x.t().repeat_interleave(2, dim=0)):
        check_op(fn, fn, shapes=[(3, 4)])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="number of repeat dims"):
        gw.randn(2, 3).repeat(2)
    with pytest.raises(ValueError, match="shifts and dims must have the same length"):
        gw.randn(2, 3).roll((1, 2), 0)
