"""Losses (gradwork/ops/loss.py) against torch.nn.functional, in float64 and float32, with
central-difference checks in float64."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.errors import ShapeError
from tests.helpers import check_op

BOTH = (np.float64, np.float32)
REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(3)
# (input shape, integer targets) — batch, batch of one, unbatched, K-dimensional
TARGETS = {
    "NC": ((4, 5), np.array([1, 0, 4, 1])),
    "1C": ((1, 3), np.array([2])),
    "C": ((5,), np.array(3)),
    "NCd": ((2, 3, 4), np.array([[0, 2, 1, 1], [2, 2, 0, 1]])),
    "NCdd": ((2, 3, 2, 2), np.array([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])),
}
WEIGHT5 = np.array([0.5, 1.0, 2.0, 0.3, 1.2])


def _options(case, weight, ignore):
    shape, y = TARGETS[case]
    C = shape[0] if len(shape) == 1 else shape[1]
    y = y.copy()
    if ignore and y.size > 1:
        y.flat[1] = -1                            # one ignored position
    w = WEIGHT5[:C] if weight else None
    return shape, y, w


def _gw(a, like):
    """An optional constant array as a gradwork tensor of `like`'s dtype."""
    return None if a is None else gw.tensor(a.astype(like.dtype))


def _torch(a, like):
    return None if a is None else torch.from_numpy(a).to(like.dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight, ignore, smoothing", [(False, False, 0.0), (True, False, 0.0),
                                                       (False, True, 0.0), (False, False, 0.2),
                                                       (True, True, 0.1)], ids=str)
@pytest.mark.parametrize("case", list(TARGETS))
def test_cross_entropy_class_indices(case, weight, ignore, smoothing, reduction):
    shape, y, w = _options(case, weight, ignore)
    kw = dict(ignore_index=-1, label_smoothing=smoothing, reduction=reduction)
    check_op(lambda x: F.cross_entropy(x, gw.tensor(y), weight=_gw(w, x), **kw),
             lambda x: TF.cross_entropy(x, torch.from_numpy(y), weight=_torch(w, x), **kw),
             shapes=[shape], dtypes=BOTH)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight, smoothing", [(False, 0.0), (True, 0.0), (False, 0.3),
                                               (True, 0.1)], ids=str)
@pytest.mark.parametrize("case", ["NC", "1C", "C", "NCdd"])
def test_cross_entropy_probabilities(case, weight, smoothing, reduction):
    shape = TARGETS[case][0]
    C = shape[0] if len(shape) == 1 else shape[1]
    q = RNG.random(shape)
    q = q / q.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    w = WEIGHT5[:C] if weight else None
    kw = dict(label_smoothing=smoothing, reduction=reduction)
    check_op(lambda x: F.cross_entropy(x, _gw(q, x), weight=_gw(w, x), **kw),
             lambda x: TF.cross_entropy(x, _torch(q, x), weight=_torch(w, x), **kw),
             shapes=[shape], dtypes=BOTH)


def test_cross_entropy_probability_target_gradient():
    # PyTorch also differentiates with respect to a probability target
    q = RNG.random((3, 4))
    check_op(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
             lambda x, t: TF.cross_entropy(x, t, label_smoothing=0.1),
             arrays=[RNG.standard_normal((3, 4)), q])


def test_cross_entropy_all_ignored_is_nan_like_pytorch():
    x, y = RNG.standard_normal((2, 3)), np.array([-100, -100])
    out = F.cross_entropy(gw.tensor(x), gw.tensor(y))
    ref = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(y))
    assert np.isnan(out.item()) and np.isnan(ref.item())


@pytest.mark.parametrize("bad", [3, -2, 7])
def test_cross_entropy_target_out_of_range(bad):
    y = gw.tensor([0, bad])
    with pytest.raises(IndexError,
                       match=rf"cross_entropy: target {bad} is out of bounds for 3 classes"):
        F.cross_entropy(gw.randn(2, 3), y)
    with pytest.raises(IndexError, match=rf"nll_loss: target {bad} is out of bounds for 3 classes"):
        F.nll_loss(gw.randn(2, 3), y)


def test_cross_entropy_bad_arguments():
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of"):
        F.cross_entropy(gw.randn(2, 3), gw.tensor([0, 1]), reduction="avg")
    with pytest.raises(ValueError,
                       match=r"cross_entropy: weight of shape \(2,\) does not match 3 classes"):
        F.cross_entropy(gw.randn(2, 3), gw.tensor([0, 1]), weight=gw.ones(2))
    with pytest.raises(ValueError, match=r"cross_entropy: target of shape \(3,\) does not match "
                                         r"input of shape \(2, 3\)"):
        F.cross_entropy(gw.randn(2, 3), gw.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match="cross_entropy: target must hold integer class indices"):
        F.cross_entropy(gw.randn(2, 3), gw.tensor([[True, False, False]] * 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight, ignore", [(False, False), (True, True)], ids=str)
@pytest.mark.parametrize("case", list(TARGETS))
def test_nll_loss(case, weight, ignore, reduction):
    shape, y, w = _options(case, weight, ignore)
    cdim = 0 if len(shape) == 1 else 1
    x = np.log(RNG.dirichlet(np.ones(shape[cdim]), size=int(np.prod(shape)) // shape[cdim]))
    x = np.moveaxis(x.reshape((-1,) + shape[cdim + 1:] + (shape[cdim],)), -1, cdim).reshape(shape)
    x = np.ascontiguousarray(x)
    kw = dict(ignore_index=-1, reduction=reduction)
    check_op(lambda x: F.nll_loss(x, gw.tensor(y), weight=_gw(w, x), **kw),
             lambda x: TF.nll_loss(x, torch.from_numpy(y), weight=_torch(w, x), **kw),
             arrays=[x], dtypes=BOTH)


REGRESSION_SHAPES = [((3, 4), (3, 4)), ((5,), (5,)), ((), ()), ((2, 1, 3), (2, 1, 3))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", REGRESSION_SHAPES, ids=str)
@pytest.mark.parametrize("name, kw", [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}),
                                      ("huber_loss", {"delta": 0.5})],
                         ids=["mse", "l1", "huber", "huber-0.5"])
def test_regression_losses(name, kw, shapes, reduction):
    check_op(lambda x, t: getattr(F, name)(x, t, reduction=reduction, **kw),
             lambda x, t: getattr(TF, name)(x, t, reduction=reduction, **kw), shapes=list(shapes),
             dtypes=BOTH)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_size_mismatch_is_refused(name):
    """A deliberate departure: PyTorch warns and broadcasts (4, 1) against (4,) to (4, 4)."""
    x, t = RNG.standard_normal((4, 1)), RNG.standard_normal(4)
    with pytest.raises(ShapeError, match=r"target size \(4,\) is different to the input size "
                                         r"\(4, 1\)"):
        getattr(F, name)(gw.tensor(x), gw.tensor(t))
    with pytest.warns(UserWarning):          # what PyTorch does instead
        TF.mse_loss(torch.from_numpy(x), torch.from_numpy(t))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_mean_of_an_empty_batch_is_nan_without_warnings(name):
    x = gw.tensor(np.zeros(0, np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = getattr(F, name)(x, gw.tensor(np.zeros(0, np.float32)))
        loss.backward()
    ref = getattr(TF, name)(torch.zeros(0), torch.zeros(0))
    assert np.isnan(loss.item()) and torch.isnan(ref) and x.grad.shape == (0,)
    assert getattr(F, name)(x, gw.tensor(np.zeros(0, np.float32)), reduction="sum").item() == 0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, (4,), (3, 1)], ids=str)
def test_binary_cross_entropy(weight, reduction):
    p, t = RNG.uniform(0.05, 0.95, (3, 4)), (RNG.random((3, 4)) > 0.5).astype(float)
    w = None if weight is None else RNG.random(weight)
    check_op(lambda x, tt: F.binary_cross_entropy(x, tt, weight=_gw(w, x), reduction=reduction),
             lambda x, tt: TF.binary_cross_entropy(x, tt, weight=_torch(w, x), reduction=reduction),
             arrays=[p, t], dtypes=BOTH, requires_grad=[True, False])
    # soft targets, and PyTorch's gradient with respect to the target
    check_op(lambda x, tt: F.binary_cross_entropy(x, tt),
             lambda x, tt: TF.binary_cross_entropy(x, tt), arrays=[p, RNG.random((3, 4))])


def test_binary_cross_entropy_at_0_and_1_is_finite():
    # log clamped at −100 and the gradient's denominator at 1e-12, as PyTorch
    p, t = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    out = check_op(lambda x: F.binary_cross_entropy(x, _gw(t, x), reduction="none"),
                   lambda x: TF.binary_cross_entropy(x, _torch(t, x), reduction="none"),
                   arrays=[p], dtypes=BOTH, numeric=False, rtol=1e-5, atol=1e-3)
    assert np.isfinite(out[0].detach().numpy()).all()


def test_binary_cross_entropy_rejects_bad_input():
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should be "
                                         "between 0 and 1"):
        F.binary_cross_entropy(gw.tensor([0.5, 1.5]), gw.tensor([0.0, 1.0]))
    with pytest.raises(ValueError,
                       match=r"binary_cross_entropy: target size \(2,\) .* input size \(2, 1\)"):
        F.binary_cross_entropy(gw.tensor([[0.5], [0.2]]), gw.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight, pos_weight", [(None, None), ((3, 4), None), (None, (4,)),
                                                ((4,), (4,)), (None, (3, 1))], ids=str)
def test_bce_with_logits(weight, pos_weight, reduction):
    t = RNG.random((3, 4))
    w = None if weight is None else RNG.random(weight)
    pw = None if pos_weight is None else RNG.uniform(0.5, 3, pos_weight)

    check_op(lambda x: F.binary_cross_entropy_with_logits(
                 x, _gw(t, x), weight=_gw(w, x), pos_weight=_gw(pw, x), reduction=reduction),
             lambda x: TF.binary_cross_entropy_with_logits(
                 x, _torch(t, x), weight=_torch(w, x), pos_weight=_torch(pw, x),
                 reduction=reduction),
             shapes=[(3, 4)], dtypes=BOTH)


def test_bce_with_logits_stable_at_100():
    x, t = np.array([100.0, -100.0, 100.0, -100.0, 0.0]), np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    pw = np.array([2.0])
    out = check_op(lambda x: F.binary_cross_entropy_with_logits(
                       x, _gw(t, x), pos_weight=_gw(pw, x), reduction="none"),
                   lambda x: TF.binary_cross_entropy_with_logits(
                       x, _torch(t, x), pos_weight=_torch(pw, x), reduction="none"),
                   arrays=[x], dtypes=BOTH, numeric=False)
    assert np.isfinite(out[0].detach().numpy()).all()


def test_bce_with_logits_target_gradient_and_shape_error():
    check_op(lambda x, t: F.binary_cross_entropy_with_logits(x, t),
             lambda x, t: TF.binary_cross_entropy_with_logits(x, t), shapes=[(2, 3), (2, 3)])
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target size \(3,\) "
                                         r"must be the same as input size \(3, 1\)"):
        F.binary_cross_entropy_with_logits(gw.randn(3, 1), gw.rand(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p, margin, weight", [(1, 1.0, False), (2, 1.0, False), (1, 0.5, True),
                                               (2, 2.0, True)], ids=str)
@pytest.mark.parametrize("case", ["NC", "1C", "C"])
def test_multi_margin_loss(case, p, margin, weight, reduction):
    shape, y = TARGETS[case]
    C = shape[-1]
    w = WEIGHT5[:C] if weight else None
    x = RNG.standard_normal(shape)          # margins away from the hinge's kink w.p. 1
    kw = dict(p=p, margin=margin, reduction=reduction)
    check_op(lambda x: F.multi_margin_loss(x, gw.tensor(y), weight=_gw(w, x), **kw),
             lambda x: TF.multi_margin_loss(x, torch.from_numpy(y), weight=_torch(w, x), **kw),
             arrays=[x], dtypes=BOTH)


def test_multi_margin_loss_errors():
    with pytest.raises(ValueError, match="multi_margin_loss: p must be 1 or 2, got 3"):
        F.multi_margin_loss(gw.randn(2, 3), gw.tensor([0, 1]), p=3)
    with pytest.raises(IndexError,
                       match="multi_margin_loss: target 3 is out of bounds for 3 classes"):
        F.multi_margin_loss(gw.randn(2, 3), gw.tensor([0, 3]))
