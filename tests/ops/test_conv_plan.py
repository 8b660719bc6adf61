"""ops/conv_plan.py: the plan names each direction's algorithm and the thread split once from
the geometry (the paths themselves are compared with PyTorch in test_conv.py)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.backends import mkldnn
from gradwork.kernels import onednn
from gradwork.ops import conv_gemm, conv_plan


@pytest.mark.parametrize("x_shape,w_shape,stride,pads,expect", [
    ((2, 4, 6, 6), (8, 4, 1, 1), (1, 1), ((0, 0), (0, 0)), ("pointwise", "gather")),
    ((2, 4, 6, 6), (8, 4, 3, 3), (1, 1), ((1, 1), (1, 1)), ("im2col", "gather")),
    ((2, 4, 6, 6), (8, 4, 3, 3), (2, 2), ((1, 1), (1, 1)), ("im2col", "col2im")),
    ((2, 2, 6, 6), (64, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), ("im2col", "col2im")),   # K ≫ C
])
def test_plan_names_the_algorithm(x_shape, w_shape, stride, pads, expect):
    """The plan decides each direction's algorithm once from the geometry."""
    out_hw = tuple((n + sum(p) - k) // s + 1 for n, p, k, s in
                   zip(x_shape[2:], pads, w_shape[2:], stride))
    plan = conv_plan.ConvPlan(x_shape, w_shape, stride, pads, (1, 1), 1, out_hw)
    assert (plan.forward_algorithm, plan.input_grad_algorithm) == expect
    assert plan.split is None                                   # tiny: the calling thread
    assert repr(plan) == (f"ConvPlan(forward={expect[0]!r}, input_grad={expect[1]!r}, "
                          "split=None)")


def test_plan_splits_large_convolutions(monkeypatch):
    """Over 2²⁵ multiply-adds: a batch by samples, a single image by output rows."""
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    try:
        args = ((8, 64, 32, 32), (64, 64, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (32, 32))
        assert conv_plan.ConvPlan(*args).split == "batch"
        assert conv_plan.ConvPlan((1,) + args[0][1:], *args[1:]).split == "rows"
        monkeypatch.setattr(conv_plan, "_PARALLEL_MACS", 1 << 40)
        assert conv_plan.ConvPlan(*args).split is None
    finally:
        gw.set_num_threads(before)


# ---------------------------------------------------------------- oneDNN behind the plan
@pytest.mark.parametrize("direction,w_shape,groups,C,stride,expect", [
    ("forward", (8, 4, 3, 3), 1, 4, 1, "blocked"),
    ("input_grad", (8, 4, 3, 3), 1, 4, 1, "plain"),         # C < 8: the stem's dx
    ("input_grad", (8, 16, 3, 3), 1, 16, 2, "blocked"),
    ("weight_grad", (16, 1, 3, 3), 16, 16, 1, "blocked"),    # depthwise 3×3
    ("weight_grad", (16, 1, 5, 5), 16, 16, 1, None),         # depthwise 5×5
    ("weight_grad", (16, 8, 5, 5), 2, 16, 1, "blocked"),
    ("forward", (8, 4, 1, 1), 1, 4, 1, "plain"),
    ("forward", (8, 4, 1, 1), 1, 4, 2, None),                # a strided shortcut
    ("input_grad", (8, 4, 1, 1), 1, 4, 2, "plain"),
    ("weight_grad", (8, 4, 1, 1), 1, 4, 1, None),
])
def test_onednn_rule(direction, w_shape, groups, C, stride, expect):
    """The measured rule of the module docstring, per direction and geometry class."""
    assert conv_plan.onednn_layout(direction, (2, C, 8, 8), w_shape, groups,
                                   (stride, stride)) == expect


needs_onednn = pytest.mark.skipif(not onednn.available(),
                                  reason=f"oneDNN not available: {onednn.load_error()}")


def _grads(fn, x, w, b, g, enabled):
    """fn's output and the gradients of x, W, b for upstream g, with oneDNN on or off."""
    leaves = [gw.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if b is not None else ())]
    with mkldnn.flags(enabled=enabled):
        y = fn(*leaves)
        (y * gw.tensor(g)).sum().backward()
    return [y.detach().numpy()] + [t.grad.numpy() for t in leaves]


# (input shape, out channels, kernel, stride, padding, dilation, groups, bias)
GRID = [
    ((2, 3, 9, 7), 16, 3, 1, 1, 1, 1, True),            # a stem
    ((1, 8, 8, 8), 8, 3, 2, 1, 1, 1, False),             # batch of one, stride 2
    ((3, 8, 7, 9), 12, 5, 1, 2, 1, 2, True),             # 5×5, groups 2, odd sizes
    ((2, 8, 9, 9), 8, 3, 1, 2, 2, 8, False),             # depthwise, dilated
    ((2, 16, 8, 6), 8, 1, 2, 0, 1, 1, True),             # 1×1 stride 2 (a shortcut)
    ((2, 16, 5, 5), 32, 1, 1, 0, 1, 1, False),           # 1×1 pointwise
    ((2, 8, 8, 8), 8, 4, 1, "same", 1, 1, True),         # even kernel: asymmetric padding
    ((2, 8, 6, 7), 8, 3, 2, 0, 2, 1, True),              # stride and dilation, no padding
]


@needs_onednn
@pytest.mark.parametrize("shape,K,k,s,p,d,groups,bias", GRID)
def test_onednn_path_equals_the_numpy_path_and_pytorch(shape, K, k, s, p, d, groups, bias):
    """float32 conv2d through oneDNN (where the rule sends it) equals the NumPy path and
    PyTorch: output, dx, dW, db."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal((K, shape[1] // groups, k, k), dtype=np.float32)
    b = rng.standard_normal(K, dtype=np.float32) if bias else None
    kw = dict(stride=s, padding=p, dilation=d, groups=groups)
    y = TF.conv2d(torch.tensor(x), torch.tensor(w), None, **kw)
    g = rng.standard_normal(tuple(y.shape), dtype=np.float32)

    def fn(x, w, b=None):
        return F.conv2d(x, w, b, **kw)

    fast, ref = _grads(fn, x, w, b, g, True), _grads(fn, x, w, b, g, False)
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if bias else ())]
    yt = TF.conv2d(leaves[0], leaves[1], leaves[2] if bias else None, **kw)
    yt.backward(torch.tensor(g))
    expected = [yt.detach().numpy()] + [t.grad.numpy() for t in leaves]
    for a, r, e in zip(fast, ref, expected):
        scale = float(np.abs(e).max())
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-5 * scale)
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5 * scale)


@needs_onednn
@pytest.mark.parametrize("shape,K,k,s,p,groups", [
    ((2, 16, 5, 6), 8, 4, 2, 1, 1),          # DCGAN's up-sampling
    ((1, 8, 4, 4), 3, 3, 1, 1, 1),           # to an image: C < 8, dx… the forward on NumPy
    ((2, 8, 5, 5), 8, 3, 2, 1, 2),
])
def test_onednn_conv_transpose_equals_the_numpy_path(shape, K, k, s, p, groups):
    """Conv-transpose runs on the same plan as the adjoint: forward = backward data."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal((shape[1], K // groups, k, k), dtype=np.float32)
    b = rng.standard_normal(K, dtype=np.float32)

    def fn(x, w, b):
        return F.conv_transpose2d(x, w, b, stride=s, padding=p,
                                  output_padding=1 if s > 1 else 0, groups=groups)

    g = rng.standard_normal(fn(gw.tensor(x), gw.tensor(w), gw.tensor(b)).shape,
                            dtype=np.float32)

    for a, r in zip(_grads(fn, x, w, b, g, True), _grads(fn, x, w, b, g, False)):
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-5 * float(np.abs(r).max()))


@needs_onednn
def test_the_switch_routes_between_onednn_and_numpy(monkeypatch):
    """Enabled, a float32 3×3 convolution never reaches the NumPy kernels; disabled, or in
    float64, it does; a 1×1's weight gradient stays NumPy (the rule)."""
    calls = []
    for name in ("forward_blocks", "weight_grad", "gather_grads", "scatter_input_grad"):
        real = getattr(conv_gemm, name)
        monkeypatch.setattr(conv_gemm, name,
                            lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    used = []
    real_forward = onednn.Convolution.forward
    monkeypatch.setattr(onednn.Convolution, "forward",
                        lambda self, *a: used.append("forward") or real_forward(self, *a))

    def run(dtype, k=3):
        x = gw.randn(2, 8, 6, 6, dtype=dtype, requires_grad=True)
        w = gw.randn(8, 8, k, k, dtype=dtype, requires_grad=True)
        F.conv2d(x, w, padding=k // 2).sum().backward()

    with mkldnn.flags(enabled=True):
        run(gw.float32)
        assert calls == [] and used == ["forward"]
        run(gw.float64)
        assert calls and used == ["forward"]
        calls.clear()
        run(gw.float32, k=1)
        assert calls == ["weight_grad"]
    calls.clear()
    used.clear()
    with mkldnn.flags(enabled=False):
        run(gw.float32)
    assert calls and not used


@needs_onednn
def test_onednn_threads_follow_the_plans_split():
    """oneDNN's team is gradwork's thread count where the NumPy path would split the work,
    one thread where it would not (too small: a 2-thread team cost more than it saved)."""
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    try:
        args = ((8, 64, 32, 32), (64, 64, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (32, 32))
        big = conv_plan.ConvPlan(*args)
        small = conv_plan.ConvPlan((1, 2, 8, 8), (2, 2, 3, 3), *args[2:6], (8, 8))
        x = np.zeros(1, np.float32)
        assert big.onednn("forward", x).threads == 2
        assert small.onednn("forward", x).threads == 1
    finally:
        gw.set_num_threads(before)


@needs_onednn
@pytest.mark.parametrize("N", [5, 6])
def test_onednn_forward_in_slices_of_the_batch_equals_one_call(monkeypatch, N):
    """Where a batch's blocked copies would pass _ONEDNN_SLICE elements, the forward runs in
    slices (2 samples here, and a remainder of 1 for N = 5): the same output as one call, and
    as the NumPy path; the calls really are slices."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((N, 8, 6, 6), dtype=np.float32)
    w = rng.standard_normal((16, 8, 3, 3), dtype=np.float32)
    b = rng.standard_normal(16, dtype=np.float32)
    whole = F.conv2d(gw.tensor(x), gw.tensor(w), gw.tensor(b), padding=1).numpy()
    sizes = []
    real = onednn.Convolution.forward

    def spy(self, x, *rest):
        sizes.append(x.shape[0])
        return real(self, x, *rest)
    monkeypatch.setattr(onednn.Convolution, "forward", spy)
    monkeypatch.setattr(conv_plan, "_ONEDNN_SLICE", 2 * 16 * 6 * 6)
    sliced = F.conv2d(gw.tensor(x), gw.tensor(w), gw.tensor(b), padding=1).numpy()
    with mkldnn.flags(enabled=False):
        ref = F.conv2d(gw.tensor(x), gw.tensor(w), gw.tensor(b), padding=1).numpy()
    assert sizes == [2, 2, 1] if N == 5 else sizes == [2, 2, 2]
    np.testing.assert_allclose(sliced, whole, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sliced, ref, rtol=1e-4, atol=1e-4)
