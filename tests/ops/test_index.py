"""Indexing (slices, integers, None/Ellipsis, integer arrays with repeats, boolean masks),
gather and index_select (gradwork/ops/index.py) against PyTorch."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
IDX = np.array([0, 2, 2, 0, 1])          # repeated indices: the gradient scatter-adds
MASK = np.array([True, False, True])
# (name, input shape, index built from an array-wrapping function)
CASES = {
    "int": ((3, 4), lambda T: 1),
    "neg-int": ((3, 4), lambda T: -1),
    "slice": ((5, 4), lambda T: slice(1, 4)),
    "slice-step": ((6, 4), lambda T: (slice(None), slice(0, 4, 2))),
    "slice-neg-bounds": ((6, 4), lambda T: slice(-4, -1)),
    "int-and-slice": ((3, 4, 2), lambda T: (1, slice(None), 0)),
    "none": ((3, 4), lambda T: (None, slice(1, 3))),
    "ellipsis": ((2, 3, 4), lambda T: (Ellipsis, 1)),
    "ellipsis-none": ((2, 3, 4), lambda T: (0, Ellipsis, None)),
    "0d-to-scalar": ((3,), lambda T: 2),
    "int-array-repeats": ((3, 4), lambda T: T(IDX)),
    "int-array-dim1": ((4, 3), lambda T: (slice(None), T(IDX))),
    "two-int-arrays": ((3, 4), lambda T: (T(IDX), T(np.array([0, 1, 3, 0, 0])))),
    "int-array-2d": ((3, 4), lambda T: T(np.array([[0, 1], [1, 1]]))),
    "int-array-and-ellipsis": ((3, 4, 2), lambda T: (Ellipsis, T(np.array([1, 1, 0])))),
    "neg-int-array": ((3, 4), lambda T: T(np.array([-1, 0, -1]))),
    "bool-mask": ((3, 4), lambda T: T(MASK)),
    "bool-mask-full": ((3, 4), lambda T: T(np.arange(12).reshape(3, 4) % 3 == 0)),
    "bool-mask-dim1": ((4, 3), lambda T: (slice(None), T(MASK))),
    "list": ((3, 4), lambda T: [0, 0, 2]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_getitem(case):
    shape, make = CASES[case]
    check_op(lambda x: x[make(gw.tensor)], lambda x: x[make(torch.from_numpy)], shapes=[shape],
             dtypes=BOTH)


def test_getitem_with_numpy_index_and_0d_tensor_index():
    check_op(lambda x: x[IDX], lambda x: x[torch.from_numpy(IDX)], shapes=[(3, 2)])
    check_op(lambda x: x[gw.tensor(1)], lambda x: x[torch.tensor(1)], shapes=[(3, 2)])


def test_getitem_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"index: .*\(tensor of shape \(3, 4\)\)"):
        gw.randn(3, 4)[5]


GATHER = [((3, 4), 1, np.array([[0, 0], [3, 1], [2, 2]])),
          ((3, 4), 0, np.array([[0, 1, 2, 2], [2, 2, 0, 1]])),
          ((3, 4), -1, np.array([[3], [3], [0]])),
          ((2, 3, 4), 1, np.array([[[0, 1, 2, 0]] * 3] * 2)),
          ((3, 4), 1, np.array([[1, 1], [0, 0]]))]          # index smaller than input (dim 0)


@pytest.mark.parametrize("shape, dim, index", GATHER, ids=[str(i) for i in range(len(GATHER))])
def test_gather(shape, dim, index):
    check_op(lambda x: x.gather(dim, gw.tensor(index)),
             lambda x: x.gather(dim, torch.from_numpy(index)), shapes=[shape], dtypes=BOTH)
    check_op(lambda x: gw.gather(x, dim, gw.tensor(index)),
             lambda x: torch.gather(x, dim, torch.from_numpy(index)), shapes=[shape])


def test_gather_rank_error():
    with pytest.raises(ValueError, match=r"gather: index of shape \(2,\) must have as many "
                                         r"dimensions as input of shape \(3, 4\)"):
        gw.randn(3, 4).gather(1, gw.tensor([0, 1]))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select(dim):
    idx = np.array([1, 0, 1])
    check_op(lambda x: x.index_select(dim, gw.tensor(idx)),
             lambda x: x.index_select(dim, torch.from_numpy(idx)), shapes=[(2, 3)])
