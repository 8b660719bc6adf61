"""ops/pool.py against PyTorch on randomised geometries (ceil_mode, padding, dilation,
count_include_pad, divisor_override, stride > kernel, batch of one, odd and non-square sizes),
float64 central differences on the small ones, unpooling round trips, and the errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from tests.helpers import check_op

N_CASES = 52


def _pool_case(seed, nd, dilated=True):
    rng = np.random.default_rng(seed)

    def r(lo, hi):
        return tuple(int(v) for v in rng.integers(lo, hi + 1, nd))

    kernel = r(1, 4)
    stride = None if seed % 6 == 0 else r(1, 5)
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    dilation = r(1, 2) if dilated else (1,) * nd
    size = tuple(max(int(rng.integers(1, 9)), d * (k - 1) + 1 - 2 * p)
                 for k, d, p in zip(kernel, dilation, padding))
    if any(not _every_window_sees_input(*a) for a in zip(size, kernel, stride or kernel, padding,
                                                         dilation)):
        dilation = (1,) * nd                     # PyTorch's backward crashes on such windows
    params = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=bool(rng.integers(0, 2)))
    if dilated:
        params["dilation"] = dilation
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + size
    return shape, params, int(np.prod(shape)) <= 80


def _every_window_sees_input(size, k, s, p, d):
    out = (size + 2 * p - d * (k - 1) - 1) // s + 1
    return all(any(0 <= u * s - p + i * d < size for i in range(k)) for u in range(out + 1))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_max_pool2d_random(seed):
    shape, params, small = _pool_case(seed, 2)
    # distinct values: ties make the arg max (and so the gradient) ambiguous for differences
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 7.0
    check_op(lambda x: F.max_pool2d(x, **params, return_indices=True),
             lambda x: TF.max_pool2d(x, **params, return_indices=True), arrays=[x],
             numeric=small)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_max_pool1d_random(seed):
    shape, params, small = _pool_case(seed, 1)
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 7.0
    check_op(lambda x: F.max_pool1d(x, **params, return_indices=True),
             lambda x: TF.max_pool1d(x, **params, return_indices=True), arrays=[x],
             numeric=small)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_avg_pool2d_random(seed):
    shape, params, small = _pool_case(seed, 2, dilated=False)
    params["count_include_pad"] = seed % 3 != 0
    if seed % 5 == 0:
        params["divisor_override"] = int(seed % 4 + 1)
    check_op(lambda x: F.avg_pool2d(x, **params), lambda x: TF.avg_pool2d(x, **params),
             shapes=[shape], numeric=small, seed=seed,
             dtypes=(np.float64, np.float32) if seed % 4 == 0 else (np.float64,))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_avg_pool1d_random(seed):
    shape, params, small = _pool_case(seed, 1, dilated=False)
    params["count_include_pad"] = seed % 3 != 0
    check_op(lambda x: F.avg_pool1d(x, **params), lambda x: TF.avg_pool1d(x, **params),
             shapes=[shape], numeric=small, seed=seed)


def test_max_pool_ties_and_infinities():
    """Ties pick the first maximum in the window; a window of −∞ points at its first element."""
    x = np.zeros((1, 1, 4, 5))
    x[0, 0, :2, :2] = -np.inf
    check_op(lambda x: F.max_pool2d(x, 2, 1, return_indices=True),
             lambda x: TF.max_pool2d(x, 2, 1, return_indices=True), arrays=[x], grad=False)
    check_op(lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True, ceil_mode=True),
             lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True, ceil_mode=True),
             arrays=[np.full((2, 3, 5, 6), -np.inf)], grad=False)
    check_op(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2),
             shapes=[(2, 3, 8, 8)], dtypes=(np.float32,), numeric=False)


@pytest.mark.parametrize("kernel,shape", [(2, (2, 3, 8, 6)), ((2, 3), (1, 2, 4, 9)),
                                          (3, (2, 1, 6, 6)), ((1, 2), (2, 2, 3, 4))])
def test_max_pool_tiles(kernel, shape):
    """Windows that tile the plane (kernel = stride, no padding): the reshape path, with ties
    (first maximum), −∞ windows, indices for max_unpool, gradients, and float32."""
    x = np.random.default_rng(0).integers(0, 3, size=shape) / 2.0      # many ties
    x[0, 0, :kernel if isinstance(kernel, int) else kernel[0]] = -np.inf
    check_op(lambda x: F.max_pool2d(x, kernel, return_indices=True),
             lambda x: TF.max_pool2d(x, kernel, return_indices=True), arrays=[x],
             numeric=False, dtypes=(np.float64, np.float32))
    with gw.no_grad():
        y = F.max_pool2d(gw.tensor(x), kernel)
    np.testing.assert_array_equal(y.detach().numpy(),
                                  TF.max_pool2d(torch.tensor(x), kernel).numpy())
    check_op(lambda x: F.max_pool2d(x, kernel), lambda x: TF.max_pool2d(x, kernel),
             arrays=[np.random.default_rng(1).permutation(np.prod(shape)).reshape(shape) / 7.0])


@pytest.mark.parametrize("out", [1, 2, (3, 2), (5, 7), (None, 3), (8, 1), (4, None)])
def test_adaptive_pool2d(out):
    check_op(lambda x: F.adaptive_avg_pool2d(x, out), lambda x: TF.adaptive_avg_pool2d(x, out),
             shapes=[(2, 3, 7, 8)], numeric=out in (1, (3, 2)))
    shape = (2, 3, 7, 8)
    x = np.random.default_rng(1).permutation(np.prod(shape)).reshape(shape) / 3.0
    check_op(lambda x: F.adaptive_max_pool2d(x, out, return_indices=True),
             lambda x: TF.adaptive_max_pool2d(x, out, return_indices=True), arrays=[x],
             numeric=out == (3, 2))


@pytest.mark.parametrize("out", [1, 3, 4, 7, 9])
def test_adaptive_pool1d(out):
    check_op(lambda x: F.adaptive_avg_pool1d(x, out), lambda x: TF.adaptive_avg_pool1d(x, out),
             shapes=[(2, 3, 7)], numeric=out == 3)
    check_op(lambda x: F.adaptive_max_pool1d(x, out, True),
             lambda x: TF.adaptive_max_pool1d(x, out, True), shapes=[(3, 7)], numeric=out == 3)


@pytest.mark.parametrize("seed", range(12))
def test_max_unpool2d_round_trip(seed):
    """SegNet's use: non-overlapping windows (overlaps give duplicate indices, where unpooling
    keeps one value and is not differentiable in the others; PyTorch does the same)."""
    shape, params, _ = _pool_case(seed, 2, dilated=False)
    params.pop("ceil_mode")
    params["stride"] = tuple(max(s, k) for s, k in zip(params["stride"] or params["kernel_size"],
                                                       params["kernel_size"]))
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 7.0
    y, idx = F.max_pool2d(gw.tensor(x), **params, return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(x), **params, return_indices=True)
    np.testing.assert_array_equal(idx.detach().numpy(), tidx.numpy())
    size = shape[2:]
    check_op(lambda v: F.max_unpool2d(v, idx, **params, output_size=size),
             lambda v: TF.max_unpool2d(v, tidx, **params, output_size=size),
             arrays=[y.detach().numpy()], numeric=seed < 3)


def test_max_unpool1d_and_unbatched():
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4) / 5.0
    y, idx = F.max_pool1d(gw.tensor(x), 2, return_indices=True)
    ty, tidx = TF.max_pool1d(torch.tensor(x), 2, return_indices=True)
    check_op(lambda v: F.max_unpool1d(v, idx, 2), lambda v: TF.max_unpool1d(v, tidx, 2),
             arrays=[y.detach().numpy()])
    x3 = x.reshape(3, 2, 4)                                  # (C, H, W)
    y, idx = F.max_pool2d(gw.tensor(x3), 2, return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(x3), 2, return_indices=True)
    np.testing.assert_array_equal(idx.detach().numpy(), tidx.numpy())
    check_op(lambda v: F.max_unpool2d(v, idx, 2), lambda v: TF.max_unpool2d(v, tidx, 2),
             arrays=[y.detach().numpy()])
    check_op(lambda v: F.avg_pool2d(v, 2, padding=1), lambda v: TF.avg_pool2d(v, 2, padding=1),
             arrays=[x3])


def test_window_missing_the_input():
    """Dilation can make a window skip the input: value −∞ and PyTorch's index (which points
    outside the plane); backward ignores it (PyTorch's own backward crashes here)."""
    x = gw.randn(2, 3, 1, requires_grad=True)
    y, idx = F.max_pool1d(x, 2, 3, 1, dilation=2, return_indices=True)
    ty, tidx = TF.max_pool1d(torch.tensor(x.detach().numpy()), 2, 3, 1, dilation=2,
                             return_indices=True)
    np.testing.assert_array_equal(y.detach().numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.detach().numpy(), tidx.numpy())
    y.backward(gw.ones(*y.shape))
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 1), np.float32))


def test_max_pool_overlapping_windows_accumulate():
    """Stride < kernel: one input can be the maximum of several windows; gradients add up."""
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    check_op(lambda x: F.max_pool2d(x, 3, 1), lambda x: TF.max_pool2d(x, 3, 1), arrays=[x],
             numeric=False)


def _err(match, fn, *args, **kw):
    with pytest.raises((ValueError, TypeError), match=match):
        fn(*args, **kw)


def test_errors():
    x = gw.randn(1, 2, 4, 4)
    _err(r"max_pool2d: padding should be at most half of kernel_size", F.max_pool2d, x, 2,
         padding=2)
    _err(r"too small for kernel_size=\(5, 5\)", F.max_pool2d, x, 5)
    _err(r"kernel_size must be positive", F.max_pool2d, x, 0)
    _err(r"stride must be positive", F.avg_pool2d, x, 2, stride=0)
    _err(r"padding must be non-negative", F.avg_pool2d, x, 2, padding=-1)
    _err(r"kernel_size must be an int or a tuple of 2 ints", F.max_pool2d, x, (2, 2, 2))
    _err(r"input must be 4-D \(N, C, H, W\) or 3-D.*got shape \(4, 4\)", F.max_pool2d,
         gw.randn(4, 4), 2)
    _err(r"divisor_override must be a non-zero int", F.avg_pool2d, x, 2, divisor_override=0)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    _err(r"indices must lie in \[0, 16\)", F.max_unpool2d, y, idx * 10, 2)
    _err(r"indices must be integers of the input's shape", F.max_unpool2d, y, idx[:, :1], 2)
    _err(r"output_size \(9, 9\) must be within a stride", F.max_unpool2d, y, idx, 2,
         output_size=(9, 9))
    _err(r"output_size must be a positive int", F.adaptive_avg_pool2d, x, 0)


# A NaN in a window is its max, and its arg max (where the gradient goes) is the window's last
# NaN, as PyTorch's `val > maxval || isnan(val)`: values, indices and gradients must match.
NAN_POOLS = [
    ("max_pool2d", (2, 3, 9, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool2d", (2, 3, 9, 8), {"kernel_size": 3, "stride": 1, "ceil_mode": True}),
    ("max_pool2d", (2, 3, 8, 8), {"kernel_size": 2}),                       # tiling windows
    ("max_pool2d", (2, 3, 9, 9), {"kernel_size": 3, "dilation": 2}),
    ("max_pool1d", (2, 3, 11), {"kernel_size": 3, "stride": 2}),
    ("max_pool1d", (2, 3, 12), {"kernel_size": 4}),                          # tiling windows
    ("adaptive_max_pool2d", (2, 3, 9, 8), {"output_size": (4, 3)}),
    ("adaptive_max_pool1d", (2, 3, 11), {"output_size": 4}),
]


@pytest.mark.parametrize("fn, shape, kw", NAN_POOLS, ids=lambda v: str(v))
@pytest.mark.parametrize("nan_fraction", [0.1, 0.6])
def test_max_pool_with_nans_routes_the_gradient_like_torch(fn, shape, kw, nan_fraction):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape)
    x[rng.random(shape) < nan_fraction] = np.nan
    x[..., :2] = 1.0                                                          # ties too
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, i = getattr(F, fn)(gx, return_indices=True, **kw)
    ty, ti = getattr(TF, fn)(tx, return_indices=True, **kw)
    g = rng.standard_normal(ty.shape)
    (y * gw.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())   # NaN == NaN here
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    y2 = getattr(F, fn)(gw.tensor(x, requires_grad=True), **kw)               # no indices asked
    np.testing.assert_array_equal(y2.detach().numpy(), ty.detach().numpy())
