"""The oneDNN binding (gradwork/kernels/onednn.py) against PyTorch: forward, dx, dW and db of
float32 convolutions in both layouts, and its error path. Skipped where libdnnl is absent."""
import os

import numpy as np
import pytest

from gradwork.kernels import onednn

torch = pytest.importorskip("torch")
F = torch.nn.functional
if not onednn.available():
    pytest.skip(f"oneDNN not available: {onednn.load_error()}", allow_module_level=True)

# (N, C, H, W, K, groups, kernel, stride, ((top, bottom), (left, right)), dilation, bias)
GEOMETRIES = [
    (2, 3, 7, 9, 4, 1, (3, 3), 1, ((1, 1), (1, 1)), 1, True),
    (2, 4, 8, 8, 6, 2, (3, 3), 2, ((0, 1), (1, 0)), 2, False),     # asymmetric, dilated
    (1, 8, 5, 5, 8, 8, (3, 3), 1, ((1, 1), (1, 1)), 1, True),      # depthwise, batch of one
    (3, 6, 9, 7, 4, 1, (1, 1), 2, ((0, 0), (0, 0)), 1, True),      # 1×1 stride 2
    (2, 5, 11, 10, 3, 1, (5, 5), 1, ((2, 2), (2, 2)), 1, False),   # 5×5
    (2, 4, 1, 13, 6, 2, (1, 3), 1, ((0, 0), (2, 0)), 2, True),     # a conv1d's plane, causal
]


def _reference(x, w, b, stride, pads, dilation, groups, g):
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    xp = F.pad(xt, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    y = F.conv2d(xp, wt, bt, stride=stride, dilation=dilation, groups=groups)
    y.backward(torch.tensor(g))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), None if b is None else \
        bt.grad.numpy()


def _close(actual, expected):
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("blocked", [False, True])
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_convolution_matches_pytorch(geometry, blocked):
    N, C, H, W, K, G, kernel, s, pads, d, bias = geometry
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((K, C // G, *kernel), dtype=np.float32)
    b = rng.standard_normal(K, dtype=np.float32) if bias else None
    oh = (H + sum(pads[0]) - d * (kernel[0] - 1) - 1) // s + 1
    ow = (W + sum(pads[1]) - d * (kernel[1] - 1) - 1) // s + 1
    g = rng.standard_normal((N, K, oh, ow), dtype=np.float32)
    y_ref, dx_ref, dw_ref, db_ref = _reference(x, w, b, (s, s), pads, (d, d), G, g)
    conv = onednn.convolution(x.shape, w.shape, (s, s), pads, (d, d), G, (oh, ow), bias,
                              blocked, 1)
    y, dx, dw = np.empty_like(y_ref), np.empty_like(x), np.empty_like(w)
    db = None if b is None else np.empty_like(b)
    for _ in range(2):              # the second call reuses the primitives, with new buffers
        conv.forward(x, w, b, y)
        conv.backward_data(g, w, dx)
        conv.backward_weights(x, g, dw, db)
        _close(y, y_ref)
        _close(dx, dx_ref)
        _close(dw, dw_ref)
        if bias:
            _close(db, db_ref)
        y, dx, dw = np.empty_like(y), np.empty_like(dx), np.empty_like(dw)
        db = None if b is None else np.empty_like(b)
    assert conv.implementation("forward")


def test_the_cache_returns_one_object_per_geometry():
    args = ((2, 3, 6, 6), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (6, 6), True)
    first = onednn.convolution(*args, True, 1)
    assert onednn.convolution(*args, True, 1) is first
    assert onednn.convolution(*args, False, 1) is not first
    assert onednn.convolution(*args, True, 2) is not first


def test_a_bad_status_raises_a_clear_error():
    # The output size does not fit the geometry: oneDNN answers dnnl_invalid_arguments.
    with pytest.raises(onednn.OneDNNError, match="convolution_forward_primitive_desc_create "
                                                 "failed with dnnl_invalid_arguments"):
        onednn.Convolution((2, 3, 6, 6), (4, 3, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1,
                           (6, 6), False, False, 1)


def test_primitives_are_made_for_the_team_they_run_on():
    """oneDNN cuts a primitive's work for the OpenMP team it sees at creation: the calling
    thread's team size is `threads` already when the primitives are made, not only at run."""
    gomp = onednn._state["gomp"]
    for threads in (3, 1):
        onednn.Convolution((1, 2, 5, 5), (2, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1,
                           (5, 5), False, True, threads)
        assert gomp.omp_get_max_threads() == threads


def test_libgomp_is_opened_with_sleeping_waiters(monkeypatch):
    """OMP_WAIT_POLICY is PASSIVE while libdnnl (and libgomp) load, unless the user chose one;
    the environment is left as it was."""
    monkeypatch.setattr(onednn.ctypes, "CDLL", lambda path: os.environ.get("OMP_WAIT_POLICY"))
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert onednn._open("libdnnl.so.3") == "PASSIVE"
    assert "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert onednn._open("libdnnl.so.3") == "ACTIVE"


def test_calls_from_two_python_threads_are_correct():
    """Two threads convolving at once (one shared stream and scratchpad): each result is its
    own, as computed alone."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(3)
    cases = []
    for C in (4, 6):
        x = rng.standard_normal((2, C, 9, 9), dtype=np.float32)
        w = rng.standard_normal((5, C, 3, 3), dtype=np.float32)
        conv = onednn.convolution(x.shape, w.shape, (1, 1), ((1, 1), (1, 1)), (1, 1), 1,
                                  (9, 9), False, True, 1)
        y = np.empty((2, 5, 9, 9), np.float32)
        conv.forward(x, w, None, y)
        cases.append((conv, x, w, y))

    def run(case):
        conv, x, w, expected = case
        for _ in range(50):
            y = np.empty_like(expected)
            conv.forward(x, w, None, y)
            if not np.array_equal(y, expected):
                return False
        return True
    with ThreadPoolExecutor(2) as pool:
        assert all(pool.map(run, cases * 2))


def test_a_failed_direction_frees_its_descriptor_once(monkeypatch):
    """A direction that cannot be made (here its reorder) raises, and its primitive
    descriptor is destroyed exactly once (it belongs to the half-made direction at once)."""
    import gc
    conv = onednn.Convolution((1, 2, 5, 5), (2, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1,
                              (5, 5), False, True, 1)
    lib, calls = onednn._state["lib"], []
    real = lib.dnnl_primitive_desc_destroy

    def destroy(pd):
        value = pd.value if hasattr(pd, "value") else pd
        calls.append(value)
        return 0 if calls.count(value) > 1 else real(pd)     # never free twice here

    def fail(*args):
        raise onednn.OneDNNError("oneDNN: dnnl_reorder_primitive_desc_create failed with "
                                 "dnnl_out_of_memory")
    monkeypatch.setattr(lib, "dnnl_primitive_desc_destroy", destroy)
    monkeypatch.setattr(onednn, "_reorder", fail)
    with pytest.raises(onednn.OneDNNError, match="dnnl_out_of_memory"):
        conv.backward_data(np.zeros((1, 2, 5, 5), np.float32), np.zeros((2, 2, 3, 3), np.float32),
                           np.empty((1, 2, 5, 5), np.float32))
    gc.collect()
    assert len(calls) == len(set(calls)) == 1


def test_blocked_copies_live_in_the_workspace_cache():
    """The arguments' copies in oneDNN's blocked layouts are the workspace cache's buffers
    (one per role for every geometry), not buffers kept by each primitive."""
    import threading

    from gradwork import backend
    x = np.ones((2, 16, 8, 8), np.float32)
    w = np.ones((16, 16, 3, 3), np.float32)
    conv = onednn.convolution(x.shape, w.shape, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (8, 8),
                              False, True, 1)
    y = np.empty((2, 16, 8, 8), np.float32)
    conv.forward(x, w, None, y)
    np.testing.assert_allclose(y[:, :, 3, 3], 16 * 9)
    roles = backend._workspaces[threading.get_ident()]
    assert {"oneDNN src", "oneDNN weights", "oneDNN dst"} <= set(roles)
