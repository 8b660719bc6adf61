"""kernels/xnor.py: the packed XNOR + popcount convolution and GEMM are bit-exact against the
float convolution of the ±1 operands (sign(0) = +1, zero padding contributing 0)."""
import numpy as np
import pytest
import torch

from gradwork.kernels import xnor as X


def signs(a):
    return np.where(a >= 0, 1.0, -1.0)


def _geometries(count, seed):
    """Random geometries: stride, padding (uneven too), dilation, groups, odd sizes, and
    channels per group on both sides of 64 and 128."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        g = int(rng.choice([1, 1, 2, 3]))
        cg = int(rng.choice([1, 3, 17, 63, 64, 65, 100, 130]))
        kg, kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s, d = (int(rng.integers(1, 4)), int(rng.integers(1, 4))), \
            (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        pads = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(2))
        H = int(rng.integers(max(1, d[0] * (kh - 1) + 1 - sum(pads[0])), 9))
        W = int(rng.integers(max(1, d[1] * (kw - 1) + 1 - sum(pads[1])), 9))
        yield (int(rng.integers(1, 3)), g * cg, H, W), (g * kg, cg, kh, kw), s, pads, d, g


def packed_conv(x, w, stride, pads, dilation, groups, alpha=None, bias=None):
    K, Cg, kh, kw = w.shape
    H, W = x.shape[2:]
    out_hw = tuple((n + p[0] + p[1] - d * (k - 1) - 1) // s + 1
                   for n, p, d, k, s in zip((H, W), pads, dilation, (kh, kw), stride))
    wp = X.pack_conv_weight(signs(w))
    corr = X.padding_correction(X.tap_sums(wp, Cg, (kh, kw)), (H, W), stride, pads, dilation,
                                out_hw)
    alpha = np.ones(K, x.dtype) if alpha is None else alpha
    return X.xnor_conv2d_packed(x, X.filters_last(wp, groups), alpha, bias, (kh, kw), stride,
                                pads, dilation, corr)


@pytest.mark.parametrize("geometry", list(_geometries(60, 0)))
def test_packed_conv_is_bit_exact(geometry):
    xs, ws, s, pads, d, g = geometry
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    x[rng.random(xs) < 0.1] = 0.0                        # sign(0) = +1
    xt = torch.nn.functional.pad(torch.from_numpy(signs(x)), (*pads[1], *pads[0]))
    ref = torch.nn.functional.conv2d(xt, torch.from_numpy(signs(w)), None, s, 0, d, g).numpy()
    out = packed_conv(x, w, s, pads, d, g)
    np.testing.assert_array_equal(out, ref)


def test_packed_conv_scale_and_bias_and_float32():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 70, 6, 5)).astype(np.float32), rng.standard_normal((5, 70, 3, 3))
    alpha, bias = rng.random(5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    out = packed_conv(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, alpha, bias)
    ref = torch.nn.functional.conv2d(torch.from_numpy(signs(x)), torch.from_numpy(signs(w)),
                                     None, 1, 1).numpy() * alpha[:, None, None] \
        + bias[:, None, None]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-4)


def test_packed_conv_multithreaded_equals_serial(monkeypatch):
    """Large enough to be split over the pool: same result as one thread."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 130, 9, 9)), rng.standard_normal((96, 130, 3, 3))
    monkeypatch.setattr(X, "_PARALLEL_MACS", 1)
    split = packed_conv(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    monkeypatch.setattr(X, "_PARALLEL_MACS", 1 << 62)
    np.testing.assert_array_equal(split, packed_conv(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1))


@pytest.mark.parametrize("n_in", [1, 63, 64, 65, 200])
def test_packed_linear_is_bit_exact(n_in):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((7, n_in)), rng.standard_normal((9, n_in))
    wt = X.filters_last(X.pack_linear_weight(signs(w)), 1)[0]
    out = X.xnor_linear_packed(x, wt, np.ones(9), None, n_in)
    np.testing.assert_array_equal(out, signs(x) @ signs(w).T)


def test_popcount_counts_bits():
    words = np.array([[0, 1, 2**63, 2**64 - 1]], np.uint64)
    out = np.empty(1, np.int64)
    X.popcount_rows(words, out)
    assert out[0] == 0 + 1 + 1 + 64
