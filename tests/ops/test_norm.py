"""ops/norm.py: batch, layer, group and local response normalisation against PyTorch and by
central differences."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.ops import norm as norm_ops
from tests.helpers import check_op, to_torch

BOTH = (np.float64, np.float32)
SHAPES = [(2, 3), (5, 4), (2, 3, 1), (3, 2, 7), (2, 3, 4, 5), (1, 2, 3, 3), (4, 1, 2, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine):
    c = shape[1]
    rng = np.random.default_rng(sum(shape))
    arrays = [rng.standard_normal(shape) * 3 + 1]
    if affine:
        arrays += [rng.standard_normal(c), rng.standard_normal(c)]
    check_op(lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True),
             lambda x, *wb: TF.batch_norm(x, None, None, *wb, training=True),
             arrays=arrays, dtypes=BOTH)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (2, 3, 4, 5), (1, 2, 1, 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval(shape, affine):
    c = shape[1]
    rng = np.random.default_rng(1)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    arrays = [rng.standard_normal(shape)] + ([rng.standard_normal(c), rng.standard_normal(c)]
                                             if affine else [])

    def gw_fn(x, *wb):
        return F.batch_norm(x, gw.tensor(mean.astype(x.dtype)), gw.tensor(var.astype(x.dtype)),
                            *wb, training=False, eps=1e-3)

    def torch_fn(x, *wb):
        return TF.batch_norm(x, torch.tensor(mean, dtype=x.dtype),
                             torch.tensor(var, dtype=x.dtype), *wb, training=False, eps=1e-3)

    check_op(gw_fn, torch_fn, arrays=arrays, dtypes=BOTH)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3, 3, 4, 2)])
@pytest.mark.parametrize("momentum", [0.1, 0.7])
def test_batch_norm_updates_running_stats(shape, momentum):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32) * 2 + 0.5
    c = shape[1]
    rm, rv = rng.standard_normal(c).astype(np.float32), rng.uniform(1, 2, c).astype(np.float32)
    g_rm, g_rv, t_rm, t_rv = gw.tensor(rm.copy()), gw.tensor(rv.copy()), to_torch(rm), to_torch(rv)
    y = F.batch_norm(gw.tensor(x, requires_grad=True), g_rm, g_rv, training=True,
                     momentum=momentum)
    ty = TF.batch_norm(to_torch(x), t_rm, t_rv, training=True, momentum=momentum)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(g_rm.detach().numpy(), t_rm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_rv.detach().numpy(), t_rv.numpy(), rtol=1e-5, atol=1e-6)
    assert g_rm.dtype == np.float32 and g_rv.dtype == np.float32
    with gw.no_grad():   # the update happens without a graph too
        F.batch_norm(gw.tensor(x), g_rm, g_rv, training=True, momentum=momentum)
    TF.batch_norm(to_torch(x), t_rm, t_rv, training=True, momentum=momentum)
    np.testing.assert_allclose(g_rv.detach().numpy(), t_rv.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_float32_stays_float32_and_matches_on_large_batch():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((64, 8, 16, 16)) * 5 + 10).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    gx = gw.tensor(x, requires_grad=True)
    y = F.batch_norm(gx, None, None, training=True)
    (y * gw.tensor(g)).sum().backward()
    tx = to_torch(x, requires_grad=True)
    ty = TF.batch_norm(tx, None, None, training=True)
    (ty * torch.from_numpy(g)).sum().backward()
    assert y.dtype == np.float32 and gx.grad.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=2e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=2e-5)


def test_batch_norm_errors():
    with pytest.raises(TypeError, match="input must be a floating-point tensor, got int64"):
        F.batch_norm(gw.tensor(np.arange(6).reshape(2, 3)), None, None, training=True)
    x = gw.randn(1, 3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(x, None, None, training=True)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(gw.randn(1, 3, 1, 1), None, None, training=True)
    with pytest.raises(ValueError, match=r"running_mean should have shape \(3,\).*got \(4,\)"):
        F.batch_norm(gw.randn(2, 3), gw.zeros(4), gw.ones(3), training=True)
    with pytest.raises(ValueError, match="weight should have shape"):
        F.batch_norm(gw.randn(2, 3), None, None, weight=gw.ones(2), training=True)
    with pytest.raises(ValueError, match="required when training=False"):
        F.batch_norm(gw.randn(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"\(N, C, \*\)"):
        F.batch_norm(gw.randn(3), None, None, training=True)
    F.batch_norm(x, gw.zeros(3), gw.ones(3), training=False)   # eval with one sample is fine


@pytest.mark.parametrize("shape,size", [((2, 7, 3, 3), 5), ((2, 6, 4), 3), ((1, 5, 2, 3), 2),
                                        ((2, 3, 2, 2), 7), ((2, 4, 2, 1, 3), 3), ((1, 1, 3), 1)])
def test_local_response_norm(shape, size):
    kw = dict(alpha=0.5, beta=0.75, k=1.5)   # a large alpha so the normaliser matters
    check_op(lambda x: F.local_response_norm(x, size, **kw),
             lambda x: TF.local_response_norm(x, size, **kw), shapes=[shape], dtypes=BOTH)


def test_local_response_norm_defaults_and_errors():
    check_op(lambda x: F.local_response_norm(x, 5), lambda x: TF.local_response_norm(x, 5),
             shapes=[(2, 8, 3, 3)], dtypes=BOTH)
    with pytest.raises(ValueError, match="3D or higher dimensionality input .got 2"):
        F.local_response_norm(gw.randn(2, 3), 2)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        F.local_response_norm(gw.randn(2, 3, 4), 0)


@pytest.mark.parametrize("shape,normalized", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((4, 1), (1,)),
                                              ((2, 2, 3), (3,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, normalized, affine):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(shape) * 2 + 1] + (
        [rng.standard_normal(normalized), rng.standard_normal(normalized)] if affine else [])
    check_op(lambda x, *wb: F.layer_norm(x, normalized, *wb),
             lambda x, *wb: TF.layer_norm(x, normalized, *wb), arrays=arrays, dtypes=BOTH)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 3), 3), ((3, 4), 2), ((2, 4, 5), 1),
                                          ((1, 6, 2, 2), 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(shape, groups, affine):
    rng = np.random.default_rng(5)
    c = shape[1]
    arrays = [rng.standard_normal(shape)] + (
        [rng.standard_normal(c), rng.standard_normal(c)] if affine else [])
    check_op(lambda x, *wb: F.group_norm(x, groups, *wb),
             lambda x, *wb: TF.group_norm(x, groups, *wb), arrays=arrays, dtypes=BOTH)


def test_layer_and_group_norm_errors():
    with pytest.raises(ValueError, match=r"normalized_shape \[4\], got input of shape \(2, 3\)"):
        F.layer_norm(gw.randn(2, 3), (4,))
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups"):
        F.group_norm(gw.randn(2, 6, 3), 4)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 5), c=st.integers(1, 4), m=st.integers(1, 6), seed=st.integers(0, 99))
def test_batch_norm_invariants(n, c, m, seed):
    """Training-mode output has zero mean and unit (biased) variance per channel, and the
    input gradient is orthogonal to per-channel constants and to x̂ (Σdx = Σdx·x̂ = 0)."""
    rng = np.random.default_rng(seed)
    x = gw.tensor(rng.standard_normal((n, c, m)) * 3 + rng.standard_normal((1, c, 1)),
                  requires_grad=True)
    y = F.batch_norm(x, None, None, training=True, eps=0.0)
    var = x.detach().numpy().var(axis=(0, 2))
    if (var < 1e-6).any():
        return
    np.testing.assert_allclose(y.detach().numpy().mean(axis=(0, 2)), 0, atol=1e-10)
    np.testing.assert_allclose(y.detach().numpy().var(axis=(0, 2)), 1, atol=1e-8)
    (y * gw.tensor(rng.standard_normal(y.shape))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(0, 2)), 0, atol=1e-9)
    np.testing.assert_allclose((x.grad.numpy() * y.detach().numpy()).sum(axis=(0, 2)), 0, atol=1e-9)


def test_batch_norm_kernels_take_strided_large_mean_and_float16_inputs():
    """The compiled passes (gradwork.kernels) see contiguous float32/64 copies of whatever comes:
    a permuted view, a mean 10⁴ times the spread (the sums are taken about a shift and in
    float64, so float32 keeps full accuracy: the reference is PyTorch in float64 on the same
    float32 data; PyTorch's own float32 dγ is off by 2 % here), float16."""
    rng = np.random.default_rng(4)
    base = (rng.standard_normal((6, 5, 4, 3)) + 1e4).astype(np.float32)
    g = rng.standard_normal((6, 3, 4, 5)).astype(np.float32)
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    gx = gw.tensor(base, requires_grad=True)
    gw_w, gw_b = gw.tensor(w, requires_grad=True), gw.tensor(b, requires_grad=True)
    y = F.batch_norm(gx.permute(0, 3, 2, 1), None, None, gw_w, gw_b, training=True)
    (y * gw.tensor(g)).sum().backward()
    tx, tw, tb = (to_torch(a.astype(np.float64), requires_grad=True) for a in (base, w, b))
    ty = TF.batch_norm(tx.permute(0, 3, 2, 1), None, None, tw, tb, training=True)
    (ty * torch.from_numpy(g.astype(np.float64))).sum().backward()
    assert y.dtype == np.float32 and gx.grad.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-5)
    for ours, theirs in ((gx, tx), (gw_w, tw), (gw_b, tb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-5)
    half = (base[:2] - 1e4).astype(np.float16)
    h = F.batch_norm(gw.tensor(half), None, None, training=True)
    assert h.dtype == np.float16
    ref = TF.batch_norm(torch.from_numpy(half.astype(np.float32)), None, None, training=True)
    np.testing.assert_allclose(h.detach().numpy().astype(np.float32), ref.numpy(), atol=2e-2)


def test_batch_norm_eval_gradient_of_bias_alone():
    rng = np.random.default_rng(5)
    x = gw.tensor(rng.standard_normal((4, 3, 2)).astype(np.float32), requires_grad=True)
    rm, rv = gw.zeros(3), gw.ones(3)
    w = gw.tensor(rng.standard_normal(3).astype(np.float32))              # frozen
    b = gw.tensor(np.zeros(3, np.float32), requires_grad=True)
    g = rng.standard_normal((4, 3, 2)).astype(np.float32)
    (F.batch_norm(x, rm, rv, w, b, training=False) * gw.tensor(g)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=(0, 2)), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(),
                               g * (w.detach().numpy() / np.sqrt(1 + 1e-5))[:, None], rtol=1e-6)
    assert w.grad is None


def _bn_step(threads, training):
    """One batch-norm forward + backward on an input big enough to be cut over the threads."""
    before = gw.get_num_threads()
    gw.set_num_threads(threads)
    try:
        rng = np.random.default_rng(3)
        x = gw.tensor(rng.standard_normal((10, 12, 96, 96), dtype=np.float32) * 3 + 1,
                      requires_grad=True)
        w = gw.tensor(rng.standard_normal(12, dtype=np.float32), requires_grad=True)
        b = gw.tensor(rng.standard_normal(12, dtype=np.float32), requires_grad=True)
        rm, rv = gw.zeros(12), gw.ones(12)
        assert x.numel() >= norm_ops._SPLIT_FROM
        y = F.batch_norm(x, rm, rv, w, b, training=training)
        (y * gw.tensor(rng.standard_normal(y.shape, dtype=np.float32))).sum().backward()
        return [t.detach().numpy().copy() for t in (y, x.grad, w.grad, b.grad, rm, rv)]
    finally:
        gw.set_num_threads(before)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_cut_over_threads_gives_the_bits_of_one_thread(training):
    """The passes split by channels (sums) and samples (maps): each value made by one thread in
    the serial order, so 1, 2 and 3 threads agree bit for bit."""
    one = _bn_step(1, training)
    for threads in (2, 3):
        for a, b in zip(one, _bn_step(threads, training)):
            np.testing.assert_array_equal(a, b)
