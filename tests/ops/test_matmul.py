"""matmul (1-D, 2-D, batched, broadcasting batch dims) and the fused F.linear
(gradwork/ops/matmul.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
MATMUL_SHAPES = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)),
                 ((2, 3, 4), (4, 5)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((3, 4), (2, 4, 5)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 5)), ((1, 1), (1, 1)),
                 ((1, 4), (4, 1))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes=list(shapes), dtypes=BOTH)


def test_matmul_spellings():
    check_op(gw.matmul, torch.matmul, shapes=[(3, 4), (4, 2)])
    check_op(lambda a, b: a.mm(b), lambda a, b: a.mm(b), shapes=[(3, 4), (4, 2)])
    check_op(lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), shapes=[(2, 3, 4), (2, 4, 2)])
    check_op(lambda a: np.ones((2, 3)) @ a, lambda a: torch.ones(2, 3, dtype=a.dtype) @ a,
             shapes=[(3, 4)])


def test_matmul_one_side_without_grad():
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes=[(2, 3), (3, 4)],
             requires_grad=[True, False])
    check_op(lambda a, b: a @ b, lambda a, b: a @ b, shapes=[(2, 3), (3, 4)],
             requires_grad=[False, True])


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(3, 4), (1, 4), (4,), (2, 3, 4), (2, 1, 1, 4)], ids=str)
def test_linear(x_shape, bias):
    shapes = [x_shape, (5, 4)] + ([(5,)] if bias else [])
    check_op(lambda *t: F.linear(*t), lambda *t: torch.nn.functional.linear(*t), shapes=shapes,
             dtypes=BOTH)


def test_linear_weight_only_grad():
    check_op(lambda x, w, b: F.linear(x, w, b), lambda x, w, b: torch.nn.functional.linear(x, w, b),
             shapes=[(3, 4), (2, 4), (2,)], requires_grad=[False, True, False])


@pytest.mark.parametrize("a, b, pattern", [
    ((2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 != 4\)"),
    ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\) cannot be multiplied"),
    ((2, 2, 3), (3, 3, 4), r"matmul: batch dimensions of \(2, 2, 3\) and \(3, 3, 4\)"),
    ((), (3,), r"matmul: both arguments need at least 1 dimension, got shapes \(\) and \(3,\)"),
], ids=["inner", "vectors", "batch", "scalar"])
def test_matmul_shape_errors(a, b, pattern):
    with pytest.raises(ValueError, match=pattern):
        gw.randn(*a) @ gw.randn(*b)


def test_linear_shape_errors():
    with pytest.raises(ValueError, match=r"linear: input of shape \(3, 5\) does not match weight "
                                         r"of shape \(2, 4\)"):
        F.linear(gw.randn(3, 5), gw.randn(2, 4))
    with pytest.raises(ValueError, match=r"linear: bias of shape \(3,\) does not match weight"):
        F.linear(gw.randn(3, 4), gw.randn(2, 4), gw.randn(3))


BMM = [((2, 3, 4), (2, 4, 5)), ((1, 1, 1), (1, 1, 1)), ((3, 2, 0), (3, 0, 2)),
       ((0, 2, 3), (0, 3, 2)), ((4, 1, 3), (4, 3, 1))]


@pytest.mark.parametrize("shapes", BMM, ids=str)
def test_bmm_and_baddbmm(shapes):
    check_op(gw.bmm, torch.bmm, shapes=list(shapes), dtypes=BOTH)
    out = (shapes[0][0], shapes[0][1], shapes[1][2])
    for inp in (out, out[1:], (1,)):
        for beta, alpha in ((1, 1), (0.5, 2.0), (0, 1)):
            check_op(lambda i, a, b, beta=beta, alpha=alpha: gw.baddbmm(i, a, b, beta=beta,
                                                                         alpha=alpha),
                     lambda i, a, b, beta=beta, alpha=alpha: torch.baddbmm(i, a, b, beta=beta,
                                                                           alpha=alpha),
                     shapes=[inp, *shapes], numeric=beta != 0)


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((1,), (1,)), ((0,), (2,)), ((5,), (0,))],
                         ids=str)
def test_outer_mm_addmm(shapes):
    check_op(gw.outer, torch.outer, shapes=list(shapes), dtypes=BOTH)
    m, n = shapes[0][0], shapes[1][0]
    check_op(lambda i, a, b: gw.addmm(i, a, b, beta=0.5, alpha=2),
             lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2),
             shapes=[(m, n), (m, 3), (3, n)])
    check_op(lambda a, b: a.t().mm(b), lambda a, b: a.t().mm(b), shapes=[(3, m), (3, n)])


def test_bmm_rejects_broadcasting():
    with pytest.raises(ValueError, match=r"bmm: expected \(B, n, m\) and \(B, m, p\)"):
        gw.bmm(gw.randn(2, 3, 4), gw.randn(1, 4, 5))
