"""einsum (gradwork/ops/einsum.py) against PyTorch and central differences: explicit and
implicit outputs, '...', traces and diagonals, broadcasting of size-1 dimensions."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (2,)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]), ("iij->j", [(2, 2, 3)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]), ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 2)]),
    ("i...->...", [(2, 3, 2)]), ("...i,i", [(2, 3), (3,)]),
    ("bn,anm,bm->ba", [(2, 3), (2, 3, 2), (2, 2)]),
    ("ij,ij->ij", [(2, 3), (1, 3)]), ("ij,kj->ik", [(0, 3), (2, 3)]), ("i,i->i", [(0,), (0,)]),
    ("ijk->kji", [(2, 3, 2)]), ("ab,bc,cd->ad", [(2, 3), (3, 2), (2, 2)]),
    ("ba,ab->", [(2, 3), (3, 2)]),
    (" i j , j k -> i k", [(2, 3), (3, 2)]), ("ij->ij", [(2, 3)]), ("i->", [(5,)]),
]


@pytest.mark.parametrize("eq,shapes", CASES, ids=str)
def test_against_torch(eq, shapes):
    check_op(lambda *a: gw.einsum(eq, *a), lambda *a: torch.einsum(eq, *a), shapes=shapes,
             dtypes=(np.float64, np.float32))


def test_operand_list_and_non_contiguous():
    check_op(lambda a, b: gw.einsum("ij,jk->ik", [a.t(), b]),
             lambda a, b: torch.einsum("ij,jk->ik", [a.t(), b]), shapes=[(3, 2), (3, 4)])


def test_bad_equations_are_named():
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        gw.einsum("ij,jk", gw.randn(2, 2))
    with pytest.raises(ValueError, match="subscript 'j' has sizes 3 and 4"):
        gw.einsum("ij,jk", gw.randn(2, 3), gw.randn(4, 2))
