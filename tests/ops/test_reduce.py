"""sum, mean, var, std, max/min (all and along a dim), amax, argmax/argmin, logsumexp
(gradwork/ops/reduce.py) against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import gradwork as gw
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
DIMS = [0, -1, 1, (0, 2), (-1, 0), (0, 1, 2)]


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean_all(name):
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), shapes=[(2, 3, 4)],
             dtypes=BOTH)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "logsumexp"])
def test_sum_mean_logsumexp(name, dim, keepdim):
    check_op(lambda x: getattr(x, name)(dim, keepdim=keepdim),
             lambda x: getattr(x, name)(dim, keepdim=keepdim), shapes=[(2, 3, 4)], dtypes=BOTH)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (4, 1)], ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "logsumexp"])
def test_degenerate_shapes(name, shape):
    fn = (lambda x: getattr(x, name)(0)) if len(shape) else (lambda x: getattr(x, name)(-1))
    check_op(fn, fn, shapes=[shape], dtypes=BOTH)
    if name != "logsumexp":
        check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), shapes=[shape])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("dim", [1, (0, -1), (0, 1, 2)], ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction(name, dim, correction, keepdim):
    check_op(lambda x: getattr(x, name)(dim, correction=correction, keepdim=keepdim),
             lambda x: getattr(x, name)(dim, correction=correction, keepdim=keepdim),
             shapes=[(3, 4, 2)], dtypes=BOTH)


@pytest.mark.parametrize("unbiased", [True, False])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_unbiased_and_default(name, unbiased):
    check_op(lambda x: getattr(gw, name)(x, 0, unbiased),
             lambda x: getattr(torch, name)(x, 0, unbiased), shapes=[(5, 3)])
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), shapes=[(5, 3)])


def test_var_of_one_element_is_nan_like_pytorch():
    x = gw.tensor([2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        torch.var(torch.tensor([2.0]))  # the reference warns, and so does gradwork
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = x.var()
    assert np.isnan(v.item())
    v.backward()
    assert x.grad.shape == (1,)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_all_splits_ties_evenly(name):
    arr = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]])
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), arrays=[arr],
             numeric=False, dtypes=BOTH)
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), shapes=[(3, 4)],
             dtypes=BOTH)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1], ids=str)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_dim_returns_values_and_indices(name, dim, keepdim):
    out = check_op(lambda x: getattr(x, name)(dim, keepdim),
                   lambda x: tuple(getattr(x, name)(dim, keepdim)), shapes=[(3, 4)], dtypes=BOTH)
    assert out[1].dtype == np.int64 and not out[1].requires_grad
    res = getattr(gw.randn(3, 4), name)(dim=dim, keepdim=keepdim)
    assert res.values.shape == res.indices.shape


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_dim_ties_go_to_the_returned_index(name):
    arr = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, -2.0]])
    check_op(lambda x: getattr(x, name)(1), lambda x: tuple(getattr(x, name)(1)), arrays=[arr],
             numeric=False)


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim", [1, (0, 1), -1], ids=str)
def test_amax_amin_split_ties_evenly(name, dim):
    arr = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]])
    g, t = getattr(gw, name), getattr(torch, name)
    check_op(lambda x: g(x, dim), lambda x: t(x, dim), arrays=[arr], numeric=False)
    check_op(lambda x: g(x, dim, keepdim=True), lambda x: t(x, dim, keepdim=True), shapes=[(2, 3)])
    check_op(lambda x: getattr(x, name)(dim), lambda x: getattr(x, name)(dim), shapes=[(2, 3)])


@pytest.mark.parametrize("dim_keepdim", [(None, False), (0, False), (1, True), (-1, False),
                                         (-1, True)], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, dim_keepdim):
    dim, keepdim = dim_keepdim
    arr = np.array([[1.0, 3.0, 3.0, 0.0], [-2.0, -2.0, 5.0, 5.0], [0.0, 0.0, 0.0, 0.0]])

    def reduce(x):
        return getattr(x, name)(dim, keepdim) if dim is not None else getattr(x, name)()

    out = check_op(reduce, reduce, arrays=[arr], grad=False)
    assert out[0].dtype == np.int64


def test_logsumexp_is_stable():
    arr = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4 + 2]])
    out = check_op(lambda x: gw.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1), arrays=[arr],
                   numeric=False, dtypes=BOTH)
    assert np.isfinite(out[0].detach().numpy()).all()


def test_sum_of_bool_and_int():
    check_op(lambda x: (x > 0).sum(), lambda x: (x > 0).sum(), shapes=[(3, 4)], grad=False)
    check_op(lambda x: x.sum(1), lambda x: x.sum(1), arrays=[np.arange(6).reshape(2, 3)],
             grad=False)


def test_mean_of_integers_is_an_error():
    with pytest.raises(TypeError, match="mean: input dtype should be floating point"):
        gw.arange(4).mean()


def test_reduce_dim_out_of_range():
    with pytest.raises(IndexError, match="sum: dim 3 is out of range for a tensor of 2 dimensions"):
        gw.randn(2, 3).sum(3)


NORMS = [(2, None, False), (2, 1, True), (1, -1, False), (3, (0, 2), True), (0.5, 1, False),
         (float("inf"), -1, False), (-float("inf"), 0, True), (0, None, False), (1.5, None, True),
         (2, (-1, -2), False)]


@pytest.mark.parametrize("ord,dim,keepdim", NORMS, ids=str)
def test_vector_norm(ord, dim, keepdim):
    check_op(lambda x: gw.linalg.vector_norm(x, ord, dim, keepdim),
             lambda x: torch.linalg.vector_norm(x, ord, dim, keepdim), shapes=[(2, 3, 4)],
             dtypes=BOTH, numeric=ord != 0)
    if isinstance(dim, int) or dim is None:
        check_op(lambda x: x.t().norm(ord, dim, keepdim) if ord != 0 else x.t().norm(0),
                 lambda x: x.t().norm(ord, dim, keepdim) if ord != 0 else x.t().norm(0),
                 shapes=[(3, 4)], numeric=ord != 0)


def test_norm_at_zero_has_zero_gradient_and_empty_input():
    for p in (2, 1, 3):
        check_op(lambda x, p=p: x.norm(p), lambda x, p=p: x.norm(p), arrays=[np.zeros((2, 3))],
                 numeric=False)
    check_op(lambda x: x.norm(dim=1), lambda x: x.norm(dim=1), shapes=[(0, 3)])
    check_op(lambda x: gw.norm(x, "fro"), lambda x: torch.norm(x, "fro"), shapes=[(3, 3)])


@pytest.mark.parametrize("dim,keepdim", [(0, False), (-1, True), ((0, 1), False)], ids=str)
def test_logsumexp_non_contiguous_and_empty(dim, keepdim):
    check_op(lambda x: x.t().logsumexp(dim, keepdim), lambda x: x.t().logsumexp(dim, keepdim),
             shapes=[(3, 4)])
    check_op(lambda x: x.logsumexp(1, keepdim), lambda x: x.logsumexp(1, keepdim),
             shapes=[(0, 3)])
