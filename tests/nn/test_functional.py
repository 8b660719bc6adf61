"""The composites of gradwork/nn/functional.py (normalize, cosine_similarity, one_hot) and the
functional forms it re-exports from ops (embedding, pad), against PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

BOTH = (np.float64, np.float32)


@pytest.mark.parametrize("shape,p,dim", [((3, 4), 2, 1), ((3, 4), 1, 0), ((2, 3, 4), 2, -1),
                                         ((2, 3, 4), 3, 1), ((5,), 2, 0), ((0, 3), 2, 1),
                                         ((2, 3), float("inf"), 1)], ids=str)
def test_normalize(shape, p, dim):
    check_op(lambda x: F.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim), shapes=[shape],
             dtypes=BOTH)


def test_normalize_of_a_zero_row_and_non_contiguous():
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    check_op(lambda a: F.normalize(a), lambda a: TF.normalize(a), arrays=[x], numeric=False)
    check_op(lambda a: F.normalize(a.t(), dim=0), lambda a: TF.normalize(a.t(), dim=0),
             shapes=[(3, 4)])


@pytest.mark.parametrize("shapes,dim", [(((3, 4), (3, 4)), 1), (((3, 4), (1, 4)), 1),
                                        (((2, 3, 4), (2, 3, 4)), -1), (((2, 3, 4), (3, 1)), 1),
                                        (((5,), (5,)), 0), (((0, 4), (0, 4)), 1)], ids=str)
def test_cosine_similarity(shapes, dim):
    check_op(lambda a, b: F.cosine_similarity(a, b, dim),
             lambda a, b: TF.cosine_similarity(a, b, dim),
             shapes=list(shapes), dtypes=BOTH)


def test_cosine_similarity_with_a_zero_vector():
    x, y = np.zeros((2, 3)), np.random.default_rng(0).standard_normal((2, 3))
    check_op(F.cosine_similarity, TF.cosine_similarity, arrays=[x, y], numeric=False)


@pytest.mark.parametrize("idx,n", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (2, 4)],
                         ids=str)
def test_one_hot(idx, n):
    i = np.array(idx, np.int64)
    check_op(lambda a: F.one_hot(a, n), lambda a: TF.one_hot(a, n), arrays=[i], grad=False)


@pytest.mark.parametrize("idx_shape,padding_idx", [((4,), None), ((2, 3), 1), ((0,), None),
                                                   ((2, 2), -1)], ids=str)
def test_embedding(idx_shape, padding_idx):
    idx = np.random.default_rng(0).integers(0, 5, idx_shape)
    check_op(lambda w: F.embedding(gw.tensor(idx), w, padding_idx=padding_idx),
             lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=padding_idx),
             shapes=[(5, 3)], dtypes=BOTH, numeric=padding_idx is None)   # padding row: no grad


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((1, 2, 5), (1, 2)), ((1, 1, 4, 5), (2, 1, 0, 3)),
                                       ((2, 1, 3, 3, 4), (1, 1, 2, 0, 1, 2))], ids=str)
def test_pad_modes_on_non_contiguous_input(mode, shape, pad):
    check_op(lambda x: F.pad(x.transpose(-1, -2).transpose(-1, -2), pad, mode=mode),
             lambda x: TF.pad(x.transpose(-1, -2).transpose(-1, -2), pad, mode=mode),
             shapes=[shape], dtypes=BOTH)
