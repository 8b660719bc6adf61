"""scatter / scatter_add (gradwork/ops/scatter.py), and gather / index_select (ops/index.py),
against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)


def _unique_index(shape, dim, size, seed):
    """An index of `shape` whose entries along dim are distinct (scatter is then deterministic)."""
    rng = np.random.default_rng(seed)
    idx = np.empty(shape, np.int64)
    moved = np.moveaxis(idx, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(size)[:shape[dim]]
    return idx


# (self shape, index shape, dim): index may be smaller than self and src along every dim
CASES = [((5,), (3,), 0), ((3, 4), (3, 4), 1), ((3, 4), (2, 3), 1), ((3, 4), (2, 4), 0),
         ((3, 4), (3, 2), -1), ((2, 3, 4), (2, 3, 2), 2), ((2, 3, 4), (1, 2, 4), -2),
         ((2, 3, 4), (2, 3, 4), 0), ((3, 0), (3, 0), 1), ((4, 3), (0, 3), 0)]


@pytest.mark.parametrize("a_shape,i_shape,dim", CASES, ids=str)
def test_scatter_scatter_add_gather(a_shape, i_shape, dim):
    idx = _unique_index(i_shape, dim, a_shape[dim], seed=len(a_shape))
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(a_shape), rng.standard_normal(i_shape)]
    gi, ti = gw.tensor(idx), torch.tensor(idx)
    check_op(lambda a, s: gw.scatter(a, dim, gi, s), lambda a, s: torch.scatter(a, dim, ti, s),
             arrays=arrays, dtypes=BOTH)
    check_op(lambda a, s: a.scatter_add(dim, gi, s), lambda a, s: a.scatter_add(dim, ti, s),
             arrays=arrays, dtypes=BOTH)
    check_op(lambda a: a.scatter(dim, gi, 2.5), lambda a: a.scatter(dim, ti, 2.5),
             arrays=arrays[:1])
    if i_shape[dim] <= a_shape[dim]:
        check_op(lambda a: gw.gather(a, dim, gi), lambda a: torch.gather(a, dim, ti),
                 arrays=arrays[:1])


def test_scatter_add_accumulates_repeated_indices():
    idx = np.array([[0, 0, 2], [1, 1, 1]])
    check_op(lambda a, s: a.scatter_add(1, gw.tensor(idx), s),
             lambda a, s: a.scatter_add(1, torch.tensor(idx), s), shapes=[(2, 3), (2, 3)])


@pytest.mark.parametrize("dim,index", [(0, [2, 0]), (1, [1, 1, 3]), (-1, []), (-2, [0])],
                         ids=str)
def test_index_select(dim, index):
    idx = np.array(index, np.int64)
    check_op(lambda x: x.index_select(dim, gw.tensor(idx)),
             lambda x: x.index_select(dim, torch.tensor(idx)), shapes=[(3, 4)], dtypes=BOTH)


def test_in_place_scatter_and_errors():
    a = gw.zeros(2, 3)
    a.scatter_(1, gw.tensor([[2], [0]]), gw.ones(2, 1))
    assert a._version == 1
    np.testing.assert_array_equal(a.numpy(), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(IndexError, match=r"scatter: index values must be in \[0, 3\)"):
        gw.scatter(gw.zeros(2, 3), 1, gw.tensor([[3]]), gw.ones(1, 1))
    with pytest.raises(TypeError, match="index must hold integers"):
        gw.scatter_add(gw.zeros(2), 0, gw.tensor([0.0]), gw.ones(1))
