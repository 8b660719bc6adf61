"""The compiled LSTM cell (ops/recurrent_fused.py) against the NumPy reference cell, its whole
compiled time loop against its step-by-step loop, the compiled GRU against the NumPy GRU cell,
the row split of the skeleton's time loop and the cut GEMM against the plain loop, float64
gradchecks of the fused paths with both on, and nn.LSTM in float32 against PyTorch's."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.ops.recurrent as recurrent
import gradwork.ops.recurrent_fused as fused
from gradwork import nn, threads
from gradwork.ops.recurrent import gru_layer, lstm_layer, rnn_layer
from gradwork.tools import gradcheck
from tests.helpers import assert_close

VARIANTS = [(False, False), (True, False), (False, True), (True, True)]   # (peephole, coupled)


def _lstm_args(rng, T, N, IN, H, dtype, peephole, coupled):
    G = 3 if coupled else 4

    def t(*shape, scale=0.5):
        return gw.Tensor((rng.standard_normal(shape) * scale).astype(dtype), requires_grad=True)
    x, h0, c0 = t(T, N, IN, scale=1.0), t(N, H), t(N, H)
    w = [t(G * H, IN), t(G * H, H), t(G * H), t(G * H)]
    peep = None
    if peephole:
        peep = (None if coupled else t(H), t(H), t(H))
    return [x, h0, c0, *w], peep


def _run(args, peep, coupled, lengths, reverse, seed=5):
    """Outputs and the gradients of every input of ⟨outputs, v⟩, as arrays."""
    for a in args + [p for p in peep or () if p is not None]:
        a.grad = None
    x, h0, c0, *w = args
    outs = lstm_layer(x, h0, c0, *w, peephole=peep, coupled=coupled, lengths=lengths,
                      reverse=reverse)
    rng = np.random.default_rng(seed)
    sum((o * gw.Tensor(rng.standard_normal(o.shape).astype(o.dtype))).sum()
        for o in outs).backward()
    leaves = args + [p for p in peep or () if p is not None]
    return [o.detach().numpy() for o in outs] + [a.grad.detach().numpy() for a in leaves]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("lengths", [None, np.array([3, 7, 1, 7, 5])])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("peephole,coupled", VARIANTS)
def test_fused_lstm_equals_the_reference_cell(monkeypatch, peephole, coupled, reverse, lengths,
                                              dtype, tol):
    args, peep = _lstm_args(np.random.default_rng(0), 7, 5, 3, 6, dtype, peephole, coupled)
    results = {}
    for flag in (False, True):
        monkeypatch.setattr(recurrent, "FUSED_LSTM", flag)
        results[flag] = _run(args, peep, coupled, lengths, reverse)
    for i, (a, b) in enumerate(zip(results[True], results[False])):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"result {i}")


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("lengths", [None, np.array([3, 7, 1, 7, 5])])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("peephole,coupled", VARIANTS)
def test_compiled_loop_equals_the_step_by_step_loop(monkeypatch, peephole, coupled, reverse,
                                                    lengths, dtype, tol):
    """The whole time loop in one compiled call (projection and ∂L/∂x inside it) against the
    same cell one Python-level step at a time."""
    args, peep = _lstm_args(np.random.default_rng(8), 7, 5, 3, 6, dtype, peephole, coupled)
    results = {}
    for flag in (False, True):
        monkeypatch.setattr(fused, "COMPILED_LOOP", flag)
        results[flag] = _run(args, peep, coupled, lengths, reverse)
    for i, (a, b) in enumerate(zip(results[True], results[False])):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"result {i}")


@pytest.mark.parametrize("T,N", [(1, 1), (1, 4), (5, 1)])
@pytest.mark.parametrize("with_state", [False, True])
def test_compiled_loop_at_one_step_or_one_row(monkeypatch, T, N, with_state):
    """T = 1, batch 1, with and without h0/c0, no biases: float64, compiled = NumPy cell."""
    args, _ = _lstm_args(np.random.default_rng(9), T, N, 3, 4, np.float64, False, False)
    x, h0, c0, w_ih, w_hh, _, _ = args
    results = {}
    for flag in (False, True):
        monkeypatch.setattr(recurrent, "FUSED_LSTM", flag)
        for a in (x, h0, c0, w_ih, w_hh):
            a.grad = None
        state = (h0, c0) if with_state else (None, None)
        outs = lstm_layer(x, *state, w_ih, w_hh)
        sum((o * o).sum() for o in outs).backward()
        results[flag] = [o.detach().numpy() for o in outs] + [
            a.grad.detach().numpy() for a in (x, w_ih, w_hh, *(state if with_state else ()))]
    for i, (a, b) in enumerate(zip(results[True], results[False])):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"result {i}")


def test_numpy_arrays_take_the_compiled_loop(monkeypatch):
    """The plan's rule: NumPy arrays whose BLAS exports a cblas GEMM for their dtype (float32,
    float64 here) run the whole loop compiled, LSTM and GRU; other dtypes have no such GEMM."""
    from gradwork.backend import kernel
    asked = []

    def spy(name, *arrays):
        asked.append(name)
        return kernel(name, *arrays)
    monkeypatch.setattr(fused, "kernel", spy)
    for dtype in (np.float32, np.float64):
        assert kernel("blas_gemm", np.zeros(1))(dtype) is not None
        asked.clear()
        _run(*_lstm_args(np.random.default_rng(10), 3, 2, 3, 4, dtype, False, False)[:2], False,
             None, False)
        assert asked == ["blas_gemm", "lstm_forward_loop", "lstm_backward_loop"], asked
        asked.clear()
        _run_gru(_gru_args(np.random.default_rng(10), 3, 2, 3, 4, dtype), None, False)
        assert asked == ["blas_gemm", "gru_forward_loop", "gru_backward_loop"], asked
    assert kernel("blas_gemm", np.zeros(1))(np.float16) is None


def _gru_args(rng, T, N, IN, H, dtype):
    def t(*shape, scale=0.5):
        return gw.Tensor((rng.standard_normal(shape) * scale).astype(dtype), requires_grad=True)
    return [t(T, N, IN, scale=1.0), t(N, H), t(3 * H, IN), t(3 * H, H), t(3 * H), t(3 * H)]


def _run_gru(args, lengths, reverse, with_h0=True):
    for a in args:
        a.grad = None
    x, h0, *w = args
    out, hn = gru_layer(x, h0 if with_h0 else None, *w, lengths=lengths, reverse=reverse)
    rng = np.random.default_rng(5)
    ((out * gw.Tensor(rng.standard_normal(out.shape).astype(out.dtype))).sum()
     + (hn * hn).sum()).backward()
    leaves = args if with_h0 else [x, *w]
    return [out.detach().numpy(), hn.detach().numpy()] + [a.grad.detach().numpy() for a in leaves]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("lengths", [None, np.array([3, 7, 1, 7, 5])])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_h0", [False, True])
def test_compiled_gru_equals_the_numpy_cell(monkeypatch, with_h0, reverse, lengths, dtype, tol):
    """PyTorch's GRU with its whole loop compiled (kernels/gru.py) against GRUCellEq."""
    args = _gru_args(np.random.default_rng(11), 7, 5, 3, 6, dtype)
    results = {}
    for flag in (False, True):
        monkeypatch.setattr(recurrent, "FUSED_GRU", flag)
        results[flag] = _run_gru(args, lengths, reverse, with_h0)
    for i, (a, b) in enumerate(zip(results[True], results[False])):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"result {i}")


@pytest.mark.parametrize("T,N", [(1, 1), (3, 18)])
def test_compiled_gru_gradcheck_with_split(monkeypatch, T, N):
    """float64 central differences through the compiled GRU loop, rows split over 2 threads."""
    before = threads.get_num_threads()
    try:
        _split_and_cut(monkeypatch, True, 3)
        args = _gru_args(np.random.default_rng(12), T, N, 2, 5, np.float64)
        lengths = np.array(([T, 1, 2] * N)[:N]).clip(1, T)

        def fn(x, h0, *w):
            return gru_layer(x, h0, *w, lengths=lengths)
        gradcheck(fn, args)
    finally:
        threads.set_num_threads(before)


def _split_and_cut(monkeypatch, on, G=4, H=6):
    """Rows split over two threads and the G-gate LSTM's GEMMs cut into 8-row calls (on), or
    neither (off)."""
    monkeypatch.setattr(recurrent, "SPLIT_FROM", 0 if on else 1 << 62)
    monkeypatch.setattr(recurrent, "COMPILED_SPLIT_FROM", 0 if on else 1 << 62)
    monkeypatch.setattr(fused, "SMALL_GEMM", 8 * G * H * H if on else 0)
    if on:
        threads.set_num_threads(2)


@pytest.mark.parametrize("kind", ["lstm", "peephole", "coupled", "gru", "tanh"])
@pytest.mark.parametrize("lengths", [None, np.array([9, 20, 3, 20, 11, 1, 17, 20, 5, 8, 2, 13,
                                                     4, 6, 19, 10, 12, 7, 20, 15])])
def test_rows_split_over_threads_and_cut_gemms_change_nothing(monkeypatch, kind, lengths):
    """20 rows, two threads of 10, LSTM GEMMs of ≤ 8 rows: the same as one plain loop."""
    before = threads.get_num_threads()
    rng = np.random.default_rng(1)
    args, peep = _lstm_args(rng, 20, 20, 3, 6, np.float64, kind == "peephole",
                            kind == "coupled")
    gru_w = [gw.Tensor(rng.standard_normal(s) * 0.5, requires_grad=True)
             for s in ((18, 3), (18, 6), (18,), (18,))]
    elman_w = [gw.Tensor(rng.standard_normal(s) * 0.5, requires_grad=True)
               for s in ((6, 3), (6, 6), (6,), (6,))]

    def run():
        if kind == "gru" or kind == "tanh":
            x, h0 = args[0], args[1]
            w = gru_w if kind == "gru" else elman_w
            for a in [x, h0, *w]:
                a.grad = None
            layer = gru_layer if kind == "gru" else rnn_layer
            out, hn = layer(x, h0, *w, lengths=lengths)
            (out.sum() + (hn * hn).sum()).backward()
            return [out.detach().numpy(), hn.detach().numpy()] + [
                a.grad.detach().numpy() for a in [x, h0, *w]]
        return _run(args, peep, kind == "coupled", lengths, False)
    try:
        results = []
        for on in (False, True):
            _split_and_cut(monkeypatch, on, 3 if kind == "coupled" else 4)
            results.append(run())
    finally:
        threads.set_num_threads(before)
    for i, (a, b) in enumerate(zip(*results)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"result {i}")


def test_step_matmul_cuts_into_even_blocks_within_the_limit(monkeypatch):
    """(21, 5)·(5, 4): blocks of ≤ SMALL_GEMM / 20 rows, as even as can be; no cut where the
    limit allows fewer than 8 rows or the whole product."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((21, 5)), rng.standard_normal((5, 4))
    calls = []
    real = np.matmul

    class Spy:
        def __getattr__(self, name):
            return getattr(np, name)

        @staticmethod
        def matmul(x, y, out):
            calls.append(x.shape[0])
            return real(x, y, out=out)
    monkeypatch.setattr(fused, "array_module", lambda *arrays: Spy())
    for small, expected in ((20 * 8, [7, 7, 7]), (20 * 7, [21]), (20 * 21, [21]),
                            (20 * 11, [10, 11]), (20 * 8 * 3, [21])):
        monkeypatch.setattr(fused, "SMALL_GEMM", small)
        calls.clear()
        out = np.empty((21, 4))
        fused.step_matmul(a, b, out)
        np.testing.assert_allclose(out, a @ b, rtol=1e-14, atol=1e-14)
        assert calls == expected, (small, calls)


@pytest.mark.parametrize("peephole,coupled", VARIANTS)
def test_fused_path_gradcheck_with_split_and_cut_gemms(monkeypatch, peephole, coupled):
    """float64 central differences through the compiled kernels, rows split, GEMMs cut."""
    before = threads.get_num_threads()
    try:
        _split_and_cut(monkeypatch, True, 3 if coupled else 4)
        rng = np.random.default_rng(3)
        args, peep = _lstm_args(rng, 3, 18, 2, 6, np.float64, peephole, coupled)
        lengths = np.array([3, 1, 2] * 6)
        leaves = [p for p in peep or () if p is not None]

        def fn(x, h0, c0, *params):
            return lstm_layer(x, h0, c0, *args[3:], peephole=peep, coupled=coupled,
                              lengths=lengths)
        gradcheck(fn, [*args, *leaves])
    finally:
        threads.set_num_threads(before)


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_hx,T,N", [
    (1, False, False, False, 9, 6), (2, True, False, True, 9, 6), (3, False, True, True, 9, 6),
    (2, True, True, False, 9, 6), (1, False, False, True, 1, 1), (2, True, True, True, 1, 3)])
def test_float32_lstm_matches_pytorch(num_layers, bidirectional, batch_first, with_hx, T, N):
    """nn.LSTM on the fused path, float32, weights copied from torch.nn.LSTM (dropout 0)."""
    kw = dict(input_size=5, hidden_size=16, num_layers=num_layers, bidirectional=bidirectional,
              batch_first=batch_first, dropout=0.0)
    tm = torch.nn.LSTM(**kw)
    m = nn.LSTM(**kw)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(4)
    D = 2 if bidirectional else 1
    x = rng.standard_normal((N, T, 5) if batch_first else (T, N, 5)).astype(np.float32)
    gx, tx = gw.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hx = [rng.standard_normal((num_layers * D, N, 16)).astype(np.float32) for _ in range(2)]
    ghx = tuple(gw.Tensor(h, requires_grad=True) for h in hx) if with_hx else None
    thx = tuple(torch.tensor(h, requires_grad=True) for h in hx) if with_hx else None
    out, (hn, cn) = m(gx, ghx)
    tout, (thn, tcn) = tm(tx, thx)
    vs = [rng.standard_normal(a.shape).astype(np.float32) for a in (out, hn, cn)]
    for a, b in zip((out, hn, cn), (tout, thn, tcn)):
        assert_close(a, b, 1e-5, 1e-4, what="forward")
    sum((a * gw.Tensor(v)).sum() for a, v in zip((out, hn, cn), vs)).backward()
    sum((b * torch.from_numpy(v)).sum() for b, v in zip((tout, thn, tcn), vs)).backward()
    assert_close(gx.grad, tx.grad, 1e-5, 1e-4, what="input grad")
    for g, t in zip(ghx or (), thx or ()):
        assert_close(g.grad, t.grad, 1e-5, 1e-4, what="hx grad")
    t_params = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, t_params[name].grad, 1e-4, 1e-4, what=f"grad of {name}")


def test_backward_twice_through_a_retained_graph():
    args, peep = _lstm_args(np.random.default_rng(6), 4, 3, 2, 5, np.float64, True, False)
    x, h0, c0, *w = args
    out, hn, cn = lstm_layer(x, h0, c0, *w, peephole=peep)
    loss = out.sum() + (cn * cn).sum()
    grads = []
    for _ in range(2):
        for a in [*args, *peep]:
            a.grad = None
        loss.backward(retain_graph=True)
        grads.append([a.grad.detach().numpy() for a in [*args, *peep]])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def _peak_bytes(monkeypatch, fused_flag):
    import tracemalloc
    monkeypatch.setattr(recurrent, "FUSED_LSTM", fused_flag)
    args, _ = _lstm_args(np.random.default_rng(7), 200, 8, 4, 32, np.float32, False, False)
    x, h0, c0, *w = args
    _run(args, None, False, None, False)                      # compiled, warm
    tracemalloc.start()
    try:
        out, _, _ = lstm_layer(x, h0, c0, *w)
        out.sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fused_path_needs_less_memory_than_the_reference(monkeypatch):
    """Backward builds δ alone: the peak of forward + backward drops by about the
    (T, N, 4H) and (T, N, H) arrays of derivatives the NumPy cell precomputes (1 MiB here)."""
    reference = _peak_bytes(monkeypatch, False)
    ours = _peak_bytes(monkeypatch, True)
    assert ours < reference - 200 * 8 * 5 * 32 * 4 * 0.9, (ours, reference)


def test_split_loop_weight_gradients_go_through_the_pools_gemm(monkeypatch):
    """With the rows split, dW_ih and dW_hh are threads.matmul's products (cut over the pool,
    single-threaded GEMMs), equal to the unsplit ones; unsplit, it is not called."""
    before = threads.get_num_threads()
    rng = np.random.default_rng(3)
    args, peep = _lstm_args(rng, 12, 16, 3, 6, np.float64, False, False)
    calls = []
    real = recurrent.gemm

    def spy(a, b):
        calls.append((a.shape, b.shape))
        return real(a, b)
    monkeypatch.setattr(recurrent, "gemm", spy)
    try:
        results = []
        for on in (False, True):
            _split_and_cut(monkeypatch, on)
            results.append(_run(args, peep, False, None, False))
            assert len(calls) == (2 if on else 0)
    finally:
        threads.set_num_threads(before)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
