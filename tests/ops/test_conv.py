"""ops/conv.py against PyTorch (forward, input/weight/bias gradients) on randomised geometries,
float64 central differences on the tiny ones, adjointness, and the errors."""
import numpy as np
import pytest
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.backends import mkldnn
from gradwork.ops import conv_gemm, conv_plan
from tests.helpers import check_op

# PyTorch's intra-op threads only spin on these tiny tensors (and the machine is shared).
N_CASES = 52


def _conv_case(seed, nd, transposed=False):
    """A random geometry: groups (incl. depthwise), kernel, stride (sometimes > kernel),
    padding (ints, 'same', 'valid'), dilation, batch of one, odd and non-square sizes."""
    rng = np.random.default_rng(seed)

    def r(lo, hi):
        return tuple(int(v) for v in rng.integers(lo, hi + 1, nd))

    groups = int(rng.choice([1, 1, 2, 3]))
    cin = groups * int(rng.integers(1, 3))
    cout = groups * int(rng.integers(1, 3))
    if seed % 7 == 3:                                    # depthwise
        groups, cout = cin, cin
    kernel, stride, dilation = r(1, 3), r(1, 3), r(1, 2)
    if transposed:
        padding = r(0, 2)
        out_pad = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        size = r(1, 5)
        params = dict(stride=stride, padding=padding, output_padding=out_pad, groups=groups,
                      dilation=dilation)
        span = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                zip(size, stride, padding, dilation, kernel, out_pad)]
        if min(span) < 1:
            params["padding"] = 0
        w_shape = (cin, cout // groups) + kernel
    else:
        choice = seed % 5
        padding = "same" if choice == 0 else "valid" if choice == 1 else r(0, 2)
        if padding == "same":
            stride = (1,) * nd
        pads = (0,) * nd if isinstance(padding, str) else padding
        size = tuple(max(int(rng.integers(1, 8)), d * (k - 1) + 1 - 2 * p)
                     for k, d, p in zip(kernel, dilation, pads))
        params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        w_shape = (cout, cin // groups) + kernel
    n = int(rng.integers(1, 3))
    shapes = [(n, cin) + size, w_shape, (cout,)]
    small = np.prod(shapes[0]) <= 60 and np.prod(w_shape) <= 40
    return shapes, params, bool(rng.integers(0, 2)), small


def _run(gw_fn, torch_fn, shapes, params, bias, small, dtypes=(np.float64,)):
    if not bias:
        shapes = shapes[:2]
    check_op(lambda *a: gw_fn(*a, **params), lambda *a: torch_fn(*a, **params), shapes=shapes,
             dtypes=dtypes, numeric=small)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_conv2d_random(seed):
    _run(F.conv2d, TF.conv2d, *_conv_case(seed, 2),
         dtypes=(np.float64, np.float32) if seed % 4 == 0 else (np.float64,))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_conv1d_random(seed):
    _run(F.conv1d, TF.conv1d, *_conv_case(seed, 1))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_conv_transpose2d_random(seed):
    _run(F.conv_transpose2d, TF.conv_transpose2d, *_conv_case(seed, 2, transposed=True),
         dtypes=(np.float64, np.float32) if seed % 4 == 0 else (np.float64,))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_conv_transpose1d_random(seed):
    _run(F.conv_transpose1d, TF.conv_transpose1d, *_conv_case(seed, 1, transposed=True))


@pytest.fixture
def numpy_path(monkeypatch):
    """The NumPy algorithms in float32 too (oneDNN, where installed, is tested in
    test_conv_plan.py against them)."""
    monkeypatch.setattr(mkldnn, "enabled", False)


@pytest.mark.parametrize("block", [1, 40, 300])
def test_blocked_paths(monkeypatch, numpy_path, block):
    """Tiny blocks force both the batch-chunk and the row-band paths of im2col/col2im."""
    monkeypatch.setattr(conv_gemm, "_BLOCK", block)
    for seed in range(6):
        shapes, params, bias, _ = _conv_case(seed, 2)
        shapes[0] = (3,) + shapes[0][1:]
        _run(F.conv2d, TF.conv2d, shapes, params, bias, False)
        _run(F.conv_transpose2d, TF.conv_transpose2d, *_conv_case(seed, 2, True)[:3], False)


@pytest.mark.parametrize("run_cost", [0, 10**9])      # packed / over-width columns
@pytest.mark.parametrize("block", [40, 1 << 20])       # row bands / whole-batch blocks
@pytest.mark.parametrize("k,p,d,cin,cout", [
    (3, 1, 1, 2, 3),             # 'same' padding: virtual, no garbage columns
    (5, 0, 1, 1, 4),             # 'valid' (LeNet): garbage columns; K ≫ C: dx by col2im
    (3, 2, 1, 3, 2),             # padding beyond the kernel's reach: stored in the buffer
    (3, 2, 2, 2, 2),             # dilated 'same'
    ((2, 3), (0, 1), 1, 1, 6),   # non-square kernel, vertical padding only
    (4, "same", 1, 2, 2),        # even kernel: the odd pixel of padding right/bottom
    (2, (1, 0), (2, 1), 2, 4),   # padding on top only, dilated rows
])
def test_stride1_column_layouts(monkeypatch, numpy_path, run_cost, block, k, p, d, cin, cout):
    """Stride-1 convolutions through packed and over-width columns (virtual or stored padding),
    whole-batch blocks and row bands: the output, the input gradient (gather or col2im) and the
    weight gradient, and conv-transpose (whose forward is the col2im path)."""
    monkeypatch.setattr(conv_plan, "_RUN_COST", run_cost)
    monkeypatch.setattr(conv_gemm, "_BLOCK", block)
    ks = (k, k) if isinstance(k, int) else k
    params = {"padding": p, "dilation": d}
    check_op(lambda x, w, b: F.conv2d(x, w, b, **params),
             lambda x, w, b: TF.conv2d(x, w, b, **params),
             shapes=[(3, cin, 7, 6), (cout, cin) + ks, (cout,)], numeric=False,
             dtypes=(np.float64, np.float32))
    if isinstance(p, str):
        return
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, **params),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, **params),
             shapes=[(3, cin, 7, 6), (cin, cout) + ks, (cout,)], numeric=False)


@pytest.fixture
def two_threads(monkeypatch, numpy_path):
    """Every convolution split over two pool threads, however small (NumPy's path)."""
    monkeypatch.setattr(conv_plan, "_PARALLEL_MACS", 0)
    before = gw.get_num_threads()
    gw.set_num_threads(2)
    yield
    gw.set_num_threads(before)


@pytest.mark.parametrize("seed", range(12))
def test_batch_split_over_threads(two_threads, seed):
    """The batch cut into one range per thread: conv and conv-transpose (forward, and the
    gather, col2im, pointwise and strided backward paths) equal PyTorch's, with the weight
    gradient summed over the ranges."""
    for transposed in (False, True):
        shapes, params, bias, _ = _conv_case(seed, 2, transposed)
        shapes[0] = (2 + seed % 3,) + shapes[0][1:]
        fns = (F.conv_transpose2d, TF.conv_transpose2d) if transposed else (F.conv2d, TF.conv2d)
        _run(*fns, shapes, params, bias, False, dtypes=(np.float64, np.float32))
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
             shapes=[(5, 4, 9, 8), (6, 4, 3, 3)], numeric=False, dtypes=(np.float32,))


@pytest.mark.parametrize("k,s,p,d", [(3, 1, 1, 1), (3, 2, 1, 1), (3, 1, 0, 1), (5, 2, 2, 1),
                                     (3, 1, 2, 2), ((2, 3), 3, (1, 0), 1), (1, 1, 0, 1),
                                     (4, 1, "same", 1)])
def test_row_split_of_one_image(two_threads, k, s, p, d):
    """A single image is split by output rows, each thread convolving the slab of input rows
    (and vertical padding) its rows read; the seams must not show."""
    ks = (k, k) if isinstance(k, int) else k
    params = {"stride": s, "padding": p, "dilation": d}
    for shape in [(1, 3, 11, 9), (3, 10, 7)]:
        check_op(lambda x, w, b: F.conv2d(x, w, b, **params),
                 lambda x, w, b: TF.conv2d(x, w, b, **params),
                 shapes=[shape, (4, 3) + ks, (4,)], numeric=False,
                 dtypes=(np.float64, np.float32))


def test_threads_split_the_batch(two_threads):
    """Each range of the batch is computed by a pool worker, not the calling thread."""
    import threading

    seen = set()
    part = conv_gemm.forward_blocks

    def spy(*args):
        seen.add(threading.current_thread().name)
        yield from part(*args)
    conv_gemm.forward_blocks = spy
    try:
        F.conv2d(gw.randn(4, 2, 5, 5), gw.randn(3, 2, 3, 3), padding=1)
    finally:
        conv_gemm.forward_blocks = part
    assert len(seen) == 2 and all(name.startswith("gradwork") for name in seen)


@pytest.mark.parametrize("shape,params", [
    ((2, 4, 6, 5), dict()),                      # 1×1 stride 1: the GEMM-only path
    ((2, 4, 7, 6), dict(stride=2)),              # 1×1 stride 2 (ResNet projection)
    ((1, 4, 3, 3), dict(groups=2)),
])
def test_pointwise(shape, params):
    cout = 6
    w = (cout, shape[1] // params.get("groups", 1), 1, 1)
    check_op(lambda x, w, b: F.conv2d(x, w, b, **params),
             lambda x, w, b: TF.conv2d(x, w, b, **params), shapes=[shape, w, (cout,)])
    wt = (shape[1], cout // params.get("groups", 1), 1, 1)
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, **params),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, **params), shapes=[shape, wt, (cout,)])


def test_unbatched_and_float32():
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
             shapes=[(3, 5, 4), (2, 3, 3, 3)], dtypes=(np.float64, np.float32))
    check_op(lambda x, w: F.conv1d(x, w, stride=2), lambda x, w: TF.conv1d(x, w, stride=2),
             shapes=[(3, 7), (2, 3, 2)])
    check_op(lambda x, w: F.conv_transpose2d(x, w, stride=2),
             lambda x, w: TF.conv_transpose2d(x, w, stride=2), shapes=[(3, 3, 2), (3, 2, 2, 2)])
    out = F.conv2d(gw.randn(2, 3, 8, 8), gw.randn(4, 3, 3, 3), gw.randn(4))
    assert out.dtype == np.float32


@pytest.mark.parametrize("dilation,k,groups", [(1, 3, 1), (2, 3, 2), (3, 2, 1), (1, 4, 1)])
def test_causal_conv1d(dilation, k, groups):
    pad = dilation * (k - 1)
    check_op(lambda x, w, b: F.causal_conv1d(x, w, b, dilation=dilation, groups=groups),
             lambda x, w, b: TF.conv1d(TF.pad(x, (pad, 0)), w, b, dilation=dilation,
                                       groups=groups),
             shapes=[(2, 2 * groups, 6), (2 * groups, 2, k), (2 * groups,)])


def test_causal_conv1d_ignores_the_future():
    x, w = gw.randn(1, 2, 10), gw.randn(3, 2, 3)
    y = F.causal_conv1d(x, w, dilation=2)
    x.data[..., 6:] += 100.0
    y2 = F.causal_conv1d(x, w, dilation=2)
    assert y.shape == (1, 3, 10)
    np.testing.assert_allclose(y.detach().numpy()[..., :6], y2.detach().numpy()[..., :6], rtol=1e-6)
    assert not np.allclose(y.detach().numpy()[..., 6:], y2.detach().numpy()[..., 6:])


def test_deck_002_example():
    """32×32×3 input, ten 5×5 filters, stride 1, pad 2 → 32×32×10; (W − F + 2P)/S + 1 = 32."""
    x, w, b = gw.randn(1, 3, 32, 32), gw.randn(10, 3, 5, 5), gw.randn(10)
    assert F.conv2d(x, w, b, stride=1, padding=2).shape == (1, 10, 32, 32)
    assert w.numel() + b.numel() == 760
    assert F.conv2d(gw.randn(1, 3, 7, 7), gw.randn(1, 3, 3, 3), stride=2).shape == (1, 1, 3, 3)


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
       st.integers(4, 9), st.integers(0, 10_000))
def test_adjoint(k, s, p, d, size, seed):
    """⟨conv(x, W), y⟩ = ⟨x, convᵀ(y, W)⟩: conv-transpose is conv's adjoint in x."""
    if d * (k - 1) + 1 > size + 2 * p:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, size, size + 1))
    w = rng.standard_normal((4, 3, k, k))
    y_shape = F.conv2d(gw.tensor(x), gw.tensor(w), stride=s, padding=p, dilation=d).shape
    y = rng.standard_normal(y_shape)
    op = [(n + 2 * p - d * (k - 1) - 1) % s for n in x.shape[2:]]
    out = F.conv2d(gw.tensor(x), gw.tensor(w), stride=s, padding=p, dilation=d)
    lhs = (out.detach().numpy() * y).sum()
    xt = F.conv_transpose2d(gw.tensor(y), gw.tensor(w), stride=s, padding=p, dilation=d,
                            output_padding=tuple(op)).detach().numpy()
    assert xt.shape == x.shape
    np.testing.assert_allclose(lhs, (x * xt).sum(), rtol=1e-9)


def _err(match, fn, *args, **kw):
    with pytest.raises((ValueError, TypeError), match=match):
        fn(*args, **kw)


def test_errors():
    x, w = gw.randn(2, 4, 5, 5), gw.randn(6, 4, 3, 3)
    _err(r"kernel of size \(7, 7\).*larger than the padded input", F.conv2d, x,
         gw.randn(6, 4, 7, 7))
    _err(r"input has 4 channels.*groups=3", F.conv2d, x, gw.randn(6, 1, 3, 3), groups=3)
    _err(r"out_channels=5.*not divisible by groups=2", F.conv2d, x, gw.randn(5, 2, 3, 3),
         groups=2)
    _err(r"input has 4 channels.*weight of shape \(6, 3, 3, 3\)", F.conv2d, x,
         gw.randn(6, 3, 3, 3))
    _err(r"input must be 4-D \(N, C, H, W\) or 3-D.*got shape \(5, 5\)", F.conv2d,
         gw.randn(5, 5), w)
    _err(r"weight must be 4-D, got shape \(6, 4, 3\)", F.conv2d, x, gw.randn(6, 4, 3))
    _err(r"padding must be non-negative, got -1", F.conv2d, x, w, padding=-1)
    _err(r"stride must be positive, got 0", F.conv2d, x, w, stride=0)
    _err(r"stride must be positive", F.conv1d, gw.randn(1, 4, 9), gw.randn(2, 4, 3), stride=(0,))
    _err(r"dilation must be positive", F.conv2d, x, w, dilation=0)
    _err(r"padding='same' is not supported for strided", F.conv2d, x, w, stride=2,
         padding="same")
    _err(r"padding must be an int, a tuple, 'valid' or 'same', got 'full'", F.conv2d, x, w,
         padding="full")
    _err(r"bias must have shape \(6,\), got \(5,\)", F.conv2d, x, w, gw.randn(5))
    _err(r"same dtype", F.conv2d, x.double(), w)
    _err(r"groups must be a positive integer", F.conv2d, x, w, groups=0)
    _err(r"output_padding must be smaller than either stride or dilation",
         F.conv_transpose2d, x, gw.randn(4, 2, 3, 3), stride=2, output_padding=2)
    _err(r"input has 4 channels.*\(in_channels, out_channels/groups", F.conv_transpose2d, x,
         gw.randn(3, 2, 3, 3))
    _err(r"leaves no output", F.conv_transpose2d, gw.randn(1, 4, 1, 1), gw.randn(4, 2, 1, 1),
         padding=1)
    _err(r"kernel of size \(9,\)", F.conv1d, gw.randn(1, 4, 5), gw.randn(2, 4, 9))


def test_same_padding_odd_total_kernel_longer_than_input():
    """Issue 12 item 8: an odd total of 'same' padding (left 4, right 5) with a dilated kernel
    (span 10) longer than the input (3). Over-width columns pad the width virtually and zero
    the columns that read the padding; a window whose every column lies left of the input's
    right edge (hi < 0 in zero_virtual_padding) wrapped a negative slice bound and read the
    neighbouring channel's values instead of zeros."""
    for groups in (4, 2, 1):                # depthwise (the case), grouped, dense
        params = dict(padding="same", dilation=3, groups=groups)
        check_op(lambda x, w, params=params: F.conv1d(x, w, **params),
                 lambda x, w, params=params: TF.conv1d(x, w, **params),
                 shapes=[(2, 4, 3), (4, 4 // groups, 4)])


@pytest.mark.parametrize("seed", range(24))
def test_same_padding_random(seed):
    """'same' padding against PyTorch, 1-D and 2-D: odd and even totals d(k − 1), dilation,
    groups (incl. depthwise) and inputs shorter than the dilated kernel, through both column
    layouts (over-width with virtual padding, packed)."""
    rng = np.random.default_rng(1000 + seed)
    nd = 1 + seed % 2
    groups = int(rng.choice([1, 2, 3]))
    cin = groups * int(rng.integers(1, 3))
    cout = cin if seed % 3 == 0 else groups * int(rng.integers(1, 3))
    kernel = tuple(int(k) for k in rng.integers(1, 6, nd))
    dilation = tuple(int(d) for d in rng.integers(1, 4, nd))
    size = tuple(int(n) for n in rng.integers(1, 7, nd))        # often < the dilated kernel
    params = dict(padding="same", dilation=dilation, groups=groups)
    fns = (F.conv1d, TF.conv1d) if nd == 1 else (F.conv2d, TF.conv2d)
    shapes = [(int(rng.integers(1, 4)), cin) + size, (cout, cin // groups) + kernel, (cout,)]
    for run_cost in (0, 10**9):
        conv_plan._RUN_COST, before = run_cost, conv_plan._RUN_COST
        try:
            _run(*fns, shapes, params, bool(seed % 2), small=False,
                 dtypes=(np.float64, np.float32) if seed % 4 == 0 else (np.float64,))
        finally:
            conv_plan._RUN_COST = before

