"""clip_grad_norm_ and clip_grad_value_ against torch.nn.utils on the same gradients."""
import math

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.errors import NonFiniteError
from gradwork.nn.utils import clip_grad_norm_, clip_grad_value_

SHAPES = [(4, 3), (3,), (2, 2, 2)]


def pair(dtype=np.float32, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    grads = [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    mine = [gw.nn.Parameter(np.zeros(s, dtype)) for s in SHAPES]
    ref = [torch.nn.Parameter(torch.zeros(s, dtype=getattr(torch, np.dtype(dtype).name)))
           for s in SHAPES]
    for p, t, g in zip(mine, ref, grads):
        p.grad = gw.tensor(g.copy())
        t.grad = torch.from_numpy(g.copy())
    return mine, ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    mine, ref = pair(dtype)
    total = clip_grad_norm_(mine, max_norm, norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert isinstance(total, gw.Tensor) and total.dtype == dtype
    assert total.item() == pytest.approx(ref_total.item(), rel=1e-6)
    for p, t in zip(mine, ref):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)
    if max_norm < total.item():
        norm = np.linalg.norm(np.concatenate([p.grad.numpy().ravel() for p in mine]),
                              ord=norm_type)
        assert norm == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_skips_missing_grads_and_takes_one_tensor():
    mine, _ = pair()
    extra = gw.nn.Parameter(np.ones(3, np.float32))
    before = np.linalg.norm(mine[0].grad.numpy())
    assert clip_grad_norm_(mine[0], 1e9).item() == pytest.approx(before, rel=1e-6)
    clip_grad_norm_(iter(mine + [extra]), 0.1)
    assert extra.grad is None
    assert clip_grad_norm_([extra], 1.0).item() == 0.0


def test_clip_grad_norm_non_finite():
    mine, _ = pair()
    mine[1].grad.data[0] = np.nan
    assert math.isnan(clip_grad_norm_(mine, 1.0).item())
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(mine, 1.0, error_if_nonfinite=True)


@pytest.mark.parametrize("clip_value", [0.1, 0.7, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    mine, ref = pair(scale=2.0)
    clip_grad_value_(mine, clip_value)
    torch.nn.utils.clip_grad_value_(ref, clip_value)
    for p, t in zip(mine, ref):
        assert p.grad.dtype == np.float32
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_non_finite_follows_torch(bad, norm_type):
    """Default (error_if_nonfinite=False, PyTorch's): the same gradients as PyTorch's; True:
    PyTorch's error text, as a NonFiniteError (a RuntimeError), and the gradients untouched."""
    mine, ref = pair()
    mine[1].grad._data[0] = bad
    ref[1].grad[0] = float(bad)
    kept = [p.grad.numpy().copy() for p in mine]
    with pytest.raises(NonFiniteError, match=r"The total norm of order .* for gradients from "
                       r"`parameters` is non-finite, so it cannot be clipped"):
        clip_grad_norm_(mine, 1.0, norm_type, error_if_nonfinite=True)
    for p, k in zip(mine, kept):
        np.testing.assert_array_equal(p.grad.numpy(), k)
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        torch.nn.utils.clip_grad_norm_(ref, 1.0, norm_type, error_if_nonfinite=True)
    total = clip_grad_norm_(mine, 1.0, norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, 1.0, norm_type)
    np.testing.assert_array_equal(total.item(), ref_total.item())
    for p, t in zip(mine, ref):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_clip_grad_norm_refuses_a_bad_max_norm():
    mine, _ = pair()
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be a finite"):
            clip_grad_norm_(mine, bad)


def test_clip_grad_norm_with_an_infinite_max_norm_only_measures():
    """max_norm=inf is PyTorch's way to get the norm without clipping."""
    mine, ref = pair()
    before = [p.grad.numpy().copy() for p in mine]
    total = clip_grad_norm_(mine, float("inf"))
    ref_total = torch.nn.utils.clip_grad_norm_(ref, float("inf"))
    np.testing.assert_allclose(total.item(), ref_total.item(), rtol=1e-6)
    for p, b in zip(mine, before):
        np.testing.assert_array_equal(p.grad.numpy(), b)
