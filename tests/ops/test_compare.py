"""Comparisons, maximum/minimum (ties split evenly), where, masked_fill
(gradwork/ops/compare.py)."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
SHAPES = [((3, 4), (3, 4)), ((2, 3), (3,)), ((3, 1), (1, 4)), ((), (2,)), ((1,), ())]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_have_no_grad(name, shapes):
    out = check_op(getattr(gw, name), getattr(torch, name), shapes=list(shapes), grad=False)
    assert out[0].dtype == np.bool_ and not out[0].requires_grad


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparison_operators_with_scalars_and_ties(op):
    x = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, -1.0]])
    check_op(lambda a: getattr(a, op)(1.0), lambda a: getattr(a, op)(1.0), arrays=[x], grad=False)
    check_op(lambda a, b: getattr(a, op)(b), lambda a, b: getattr(a, op)(b),
             arrays=[x, np.array([1.0, 1.0, 0.0])], grad=False)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum(name, shapes):
    check_op(getattr(gw, name), getattr(torch, name), shapes=list(shapes), dtypes=BOTH)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_gradient(name):
    a = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    b = np.array([1.0, 0.5, 3.0])
    check_op(getattr(gw, name), getattr(torch, name), arrays=[a, b], numeric=False, dtypes=BOTH)
    # the same tensor on both sides: every element is a tie, the halves add back up to 1
    x = gw.randn(3, requires_grad=True)
    getattr(gw, name)(x, x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, np.float32))


def test_max_min_with_other_tensor():
    check_op(lambda a, b: a.max(b), lambda a, b: a.max(b), shapes=[(2, 3), (3,)])
    check_op(lambda a, b: a.min(b), lambda a, b: a.min(b), shapes=[(2, 3), (2, 1)])


WHERE_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()), ((4,), (2, 4), (2, 1)),
                ((), (2,), (2,))]


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=str)
def test_where(shapes):
    rng = np.random.default_rng(1)
    cond = np.asarray(rng.random(shapes[0]) > 0.5)
    arrays = [rng.standard_normal(s) for s in shapes[1:]]
    check_op(lambda a, b: gw.where(gw.tensor(cond), a, b),
             lambda a, b: torch.where(torch.from_numpy(cond), a, b), arrays=arrays, dtypes=BOTH)


def test_where_with_scalars():
    cond = np.array([True, False, True])
    check_op(lambda a: gw.where(gw.tensor(cond), a, 0.0),
             lambda a: torch.where(torch.from_numpy(cond), a, 0.0), shapes=[(3,)], dtypes=BOTH)
    check_op(lambda b: gw.where(gw.tensor(cond), 2.5, b),
             lambda b: torch.where(torch.from_numpy(cond), 2.5, b), shapes=[(2, 3)], dtypes=BOTH)


def test_where_broadcast_error():
    with pytest.raises(ValueError, match=r"where: condition \(3,\), input \(2,\)"):
        gw.where(gw.tensor([True, False, True]), gw.randn(2), gw.randn(3))


@pytest.mark.parametrize("mask_shape", [(3, 4), (4,), (3, 1), ()], ids=str)
def test_masked_fill(mask_shape):
    mask = np.asarray(np.random.default_rng(2).random(mask_shape) > 0.5)
    for value in (0.0, -1e9, float("-inf")):
        with np.errstate(invalid="ignore"):      # ⟨y, v⟩ with y = −inf sums to nan; dy/dx is fine
            check_op(lambda x, value=value: x.masked_fill(gw.tensor(mask), value),
                     lambda x, value=value: x.masked_fill(torch.from_numpy(mask), value),
                     shapes=[(3, 4)],
                     dtypes=BOTH, numeric=value == 0.0)


def test_maximum_shape_error():
    with pytest.raises(ValueError, match=r"maximum: shapes \(2, 3\) and \(2,\)"):
        gw.maximum(gw.randn(2, 3), gw.randn(2))


@pytest.mark.parametrize("a,b", [("x", 0), (0, "x"), ("x", 2.5), (1.0, -1.0), ("xi", 1.5),
                                 ("xi", 2), ("x", "xd"), ("xi", "x")], ids=str)
def test_where_with_python_scalars_follows_pytorch_dtypes(a, b):
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    arrays = {"x": x, "xd": x.astype(np.float64) * 2, "xi": (x * 3).astype(np.int64)}
    cond = x > 0

    def run(mod, wrap):
        return mod.where(wrap(cond), *[wrap(arrays[v]) if isinstance(v, str) else v
                                       for v in (a, b)])
    g, t = run(gw, gw.tensor), run(torch, torch.from_numpy)
    assert g.dtype == np.dtype(str(t.dtype).replace("torch.", ""))
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)
