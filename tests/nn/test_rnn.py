"""RNN, LSTM, GRU and their cells against PyTorch (weights copied across), gradchecks of the
options PyTorch lacks, variable lengths against pack_padded_sequence, BPTT over 1,000 steps."""
import os

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import gradwork as gw
from gradwork import nn
from gradwork.tools import gradcheck
from tests.helpers import assert_close

KINDS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM),
         "GRU": (nn.GRU, torch.nn.GRU)}


def _pair(kind, dtype=torch.float64, **kw):
    """A gradwork module and a PyTorch one holding the same (PyTorch-initialised) weights."""
    gw_cls, torch_cls = KINDS[kind]
    tm = torch_cls(**kw).to(dtype)
    m = gw_cls(**kw)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    m.to(str(dtype).replace("torch.", ""))
    return m, tm


def _compare(m, tm, x, hx, lengths=None, tol=(1e-10, 1e-8), seed=0):
    """Forward outputs and the gradients of input, hx and every parameter, against PyTorch."""
    rng = np.random.default_rng(seed)
    lstm = isinstance(m, nn.LSTM)
    gx = gw.Tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ghx = thx = None
    if hx is not None:
        hx = hx[:2 if lstm else 1]
        ghx = tuple(gw.Tensor(h, requires_grad=True) for h in hx)
        thx = tuple(torch.tensor(h, requires_grad=True) for h in hx)
    out, hn = m(gx, ghx if lstm or ghx is None else ghx[0], lengths=lengths)
    t_in = tx
    if lengths is not None:
        t_len = torch.as_tensor(np.asarray(lengths.detach().numpy()
                                           if isinstance(lengths, gw.Tensor) else lengths))
        t_in = pack_padded_sequence(tx, t_len, batch_first=tm.batch_first,
                                    enforce_sorted=False)
    tout, thn = tm(t_in, thx if lstm or thx is None else thx[0])
    if lengths is not None:
        tout, _ = pad_packed_sequence(tout, batch_first=tm.batch_first, total_length=x.shape[
            1 if tm.batch_first else 0])
    ours = [out, *(hn if lstm else (hn,))]
    ref = [tout, *(thn if lstm else (thn,))]
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert_close(a, b, *tol, what=f"output {i}")
    vs = [rng.standard_normal(a.shape).astype(x.dtype) for a in ours]
    sum((a * gw.Tensor(v)).sum() for a, v in zip(ours, vs)).backward()
    sum((b * torch.from_numpy(v)).sum() for b, v in zip(ref, vs)).backward()
    assert_close(gx.grad, tx.grad, *tol, what="input grad")
    for i, (g, t) in enumerate(zip(ghx or (), thx or ())):
        assert_close(g.grad, t.grad, *tol, what=f"hx[{i}] grad")
    t_params = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, t_params[name].grad, *tol, what=f"grad of {name}")


def _random_configs(n, seed):
    rng = np.random.default_rng(seed)
    configs = []
    for i in range(n):
        configs.append(dict(kind=["RNN", "LSTM", "GRU"][i % 3], num_layers=int(rng.integers(1, 4)),
                            bidirectional=bool(rng.integers(2)), batch_first=bool(rng.integers(2)),
                            bias=bool(rng.integers(4)), with_hx=bool(rng.integers(2)),
                            T=int(rng.choice([1, 2, 5])), N=int(rng.choice([1, 3])),
                            relu=bool(rng.integers(2))))
    return configs


@pytest.mark.parametrize("cfg", _random_configs(18, seed=0), ids=lambda c: "-".join(
    f"{k}={v}" for k, v in c.items()))
def test_layers_match_pytorch(cfg):
    kw = dict(input_size=3, hidden_size=4, num_layers=cfg["num_layers"], bias=cfg["bias"],
              batch_first=cfg["batch_first"], bidirectional=cfg["bidirectional"])
    if cfg["kind"] == "RNN" and cfg["relu"]:
        kw["nonlinearity"] = "relu"
    m, tm = _pair(cfg["kind"], **kw)
    rng = np.random.default_rng(1)
    T, N = cfg["T"], cfg["N"]
    x = rng.standard_normal((N, T, 3) if cfg["batch_first"] else (T, N, 3))
    D = 2 if cfg["bidirectional"] else 1
    hx = None
    if cfg["with_hx"]:
        hx = [rng.standard_normal((cfg["num_layers"] * D, N, 4)) for _ in range(2)]
    _compare(m, tm, x, hx)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_variable_lengths_match_packed_sequences(kind, batch_first):
    m, tm = _pair(kind, input_size=3, hidden_size=4, num_layers=2, bidirectional=True,
                  batch_first=batch_first)
    rng = np.random.default_rng(2)
    T, lengths = 5, [3, 5, 1, 4]
    x = rng.standard_normal((4, T, 3) if batch_first else (T, 4, 3))
    hx = [rng.standard_normal((4, 4, 4)) for _ in range(2)]
    _compare(m, tm, x, hx, lengths=lengths)
    _compare(m, tm, x, None, lengths=gw.tensor(lengths))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_float32_and_unbatched_match_pytorch(kind):
    m, tm = _pair(kind, dtype=torch.float32, input_size=3, hidden_size=5, num_layers=2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 3)).astype(np.float32)                 # unbatched (L, H_in)
    hx = [rng.standard_normal((2, 5)).astype(np.float32) for _ in range(2)]
    _compare(m, tm, x, hx, tol=(1e-5, 1e-4))
    out, _ = m(gw.tensor(x))
    assert out.shape == (6, 5) and out.dtype == np.float32


def test_state_dict_keys_are_pytorchs():
    for kind, (gw_cls, torch_cls) in KINDS.items():
        kw = dict(input_size=3, hidden_size=4, num_layers=3, bidirectional=True, bias=True)
        assert list(gw_cls(**kw).state_dict()) == list(torch_cls(**kw).state_dict()), kind
        for name, p in gw_cls(**kw).state_dict().items():
            assert p.shape == tuple(torch_cls(**kw).state_dict()[name].shape)
    for g, t in [(nn.LSTMCell(3, 4), torch.nn.LSTMCell(3, 4)),
                 (nn.GRUCell(3, 4, bias=False), torch.nn.GRUCell(3, 4, bias=False)),
                 (nn.RNNCell(3, 4), torch.nn.RNNCell(3, 4))]:
        assert list(g.state_dict()) == list(t.state_dict())


def test_default_init_is_uniform_in_one_over_sqrt_hidden():
    w = nn.LSTM(10, 25).weight_hh_l0.detach().numpy()
    assert np.abs(w).max() <= 0.2 and np.abs(w).max() > 0.19 and abs(w.mean()) < 0.01


@pytest.mark.parametrize("cell,nonlin", [("RNNCell", "tanh"), ("RNNCell", "relu"),
                                         ("LSTMCell", None), ("GRUCell", None)])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_pytorch(cell, nonlin, batched):
    kw = dict(input_size=3, hidden_size=4)
    if nonlin:
        kw["nonlinearity"] = nonlin
    tm = getattr(torch.nn, cell)(**kw).double()
    m = getattr(nn, cell)(**kw).double()
    m.load_state_dict(tm.state_dict())
    rng = np.random.default_rng(4)
    shape = (2,) if batched else ()
    x = rng.standard_normal(shape + (3,))
    h = [rng.standard_normal(shape + (4,)) for _ in range(2)]
    lstm = cell == "LSTMCell"
    gx, gh = gw.Tensor(x, requires_grad=True), [gw.Tensor(a, requires_grad=True) for a in h]
    tx, th = torch.tensor(x, requires_grad=True), [torch.tensor(a, requires_grad=True) for a in h]
    ours = m(gx, tuple(gh) if lstm else gh[0])
    ref = tm(tx, tuple(th) if lstm else th[0])
    ours, ref = (list(ours), list(ref)) if lstm else ([ours], [ref])
    for a, b in zip(ours, ref):
        assert_close(a, b, 1e-12, 1e-10)
    sum((a * (i + 1)).sum() for i, a in enumerate(ours)).backward()
    sum((b * (i + 1)).sum() for i, b in enumerate(ref)).backward()
    assert_close(gx.grad, tx.grad, 1e-12, 1e-10)
    assert_close(gh[0].grad, th[0].grad, 1e-12, 1e-10)
    tp = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        assert_close(p.grad, tp[name].grad, 1e-12, 1e-10, what=name)
    assert m(gw.Tensor(x)).__class__ is (tuple if lstm else gw.Tensor)   # hx defaults to zeros


def _module_gradcheck(m, x, hx=None, **kw):
    """Gradcheck a float64 module through its input, hx and every parameter."""
    m.double()
    params = list(m.parameters())
    inputs = [gw.Tensor(x, requires_grad=True)] + ([] if hx is None else list(hx))

    def fn(x, *rest):
        h = None if hx is None else (tuple(rest[:len(hx)]) if len(hx) == 2 else rest[0])
        out, hn = m(x, h, **kw)
        return (out, *hn) if isinstance(hn, tuple) else (out, hn)
    gradcheck(fn, inputs + params)


@pytest.mark.parametrize("opts", [dict(peephole=True), dict(coupled=True),
                                  dict(peephole=True, coupled=True, bidirectional=True),
                                  dict(learn_initial_state=True, num_layers=2),
                                  dict(learn_initial_state=True, peephole=True,
                                       bidirectional=True)])
def test_lstm_options_gradcheck(opts):
    gw.manual_seed(5)
    m = nn.LSTM(2, 3, **opts)
    x = np.random.default_rng(5).standard_normal((3, 2, 2))
    _module_gradcheck(m, x, lengths=[3, 2])


@pytest.mark.parametrize("cls,opts", [(nn.RNN, dict(nonlinearity="relu", num_layers=2)),
                                      (nn.RNN, dict(learn_initial_state=True, bidirectional=True)),
                                      (nn.GRU, dict(learn_initial_state=True, num_layers=2))])
def test_rnn_gru_options_gradcheck(cls, opts):
    gw.manual_seed(6)
    m = cls(2, 3, **opts)
    x = np.random.default_rng(6).standard_normal((3, 2, 2)) + 0.3
    _module_gradcheck(m, x)


def test_cells_with_options_gradcheck():
    rng = np.random.default_rng(7)
    for m in [nn.LSTMCell(2, 3, peephole=True, coupled=True, learn_initial_state=True),
              nn.GRUCell(2, 3, learn_initial_state=True), nn.RNNCell(2, 3, bias=False)]:
        m.double()
        x = gw.Tensor(rng.standard_normal((2, 2)), requires_grad=True)
        gradcheck(lambda x, *p, m=m: m(x), [x, *m.parameters()])


def test_coupled_weights_hold_three_gate_blocks_and_peepholes_are_diagonal():
    m = nn.LSTM(2, 3, num_layers=2, bidirectional=True, coupled=True, peephole=True)
    sd = m.state_dict()
    assert sd["weight_ih_l0"].shape == (9, 2) and sd["weight_hh_l1_reverse"].shape == (9, 3)
    assert sd["weight_cf_l1_reverse"].shape == (3,) and "weight_ci_l0" not in sd
    assert nn.LSTM(2, 3, peephole=True).state_dict()["weight_ci_l0"].shape == (3,)


def test_learned_initial_state_is_the_default_hx():
    m = nn.GRU(2, 3, num_layers=2, learn_initial_state=True).double()
    assert m.h0.shape == (2, 1, 3)
    x = gw.Tensor(np.random.default_rng(8).standard_normal((4, 5, 2)))
    out, hn = m(x)
    out2, _ = m(x, gw.Tensor(np.broadcast_to(m.h0.detach().numpy(), (2, 5, 3)).copy()))
    np.testing.assert_allclose(out.detach().numpy(), out2.detach().numpy())
    out.sum().backward()
    assert m.h0.grad.shape == (2, 1, 3) and np.abs(m.h0.grad.numpy()).sum() > 0
    lstm = nn.LSTM(2, 3, learn_initial_state=True)
    assert {"h0", "c0"} <= set(lstm.state_dict())


def test_dropout_between_layers_only_in_training():
    gw.manual_seed(9)
    m = nn.LSTM(2, 3, num_layers=2, dropout=1.0).double()
    rng = np.random.default_rng(9)
    x1, x2 = (gw.Tensor(rng.standard_normal((3, 2, 2))) for _ in range(2))
    (o1, (h1, _)), (o2, (h2, _)) = m(x1), m(x2)
    np.testing.assert_array_equal(o1.detach().numpy(), o2.detach().numpy())  # layer 2: all zeros
    assert not np.allclose(h1.detach().numpy()[0], h2.detach().numpy()[0])  # layer 1: not dropped
    m.eval()
    assert not np.allclose(m(x1)[0].detach().numpy(), m(x2)[0].detach().numpy())


def test_bptt_over_1000_steps_matches_pytorch():
    m, tm = _pair("LSTM", input_size=2, hidden_size=4)
    x = np.random.default_rng(10).standard_normal((1000, 2, 2)) * 0.5
    h0 = np.zeros((1, 2, 4))
    gx, gh = gw.Tensor(x, requires_grad=True), gw.Tensor(h0, requires_grad=True)
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out, _ = m(gx, (gh, gw.Tensor(h0)))
    tout, _ = tm(tx, (th, torch.tensor(h0)))
    out[-1].sum().backward()
    tout[-1].sum().backward()
    assert_close(gx.grad, tx.grad, 1e-12, 1e-8)
    assert_close(gh.grad, th.grad, 1e-14, 1e-6)
    assert_close(m.weight_hh_l0.grad, tm.weight_hh_l0.grad, 1e-12, 1e-8)


@pytest.mark.parametrize("call,message", [
    (lambda m: m(gw.zeros(2, 3, 4, 5)), r"input must be 2-D .* or 3-D .*got shape \(2, 3, 4, 5\)"),
    (lambda m: m(gw.zeros(5, 2, 4)), r"input.size\(-1\) must be equal to input_size 3, got input "
                                     r"of shape \(5, 2, 4\)"),
    (lambda m: m(gw.zeros(5, 2, 3), (gw.zeros(1, 2, 4), gw.zeros(2, 2, 4))),
     r"h0 must have shape \(2, 2, 4\).*got \(1, 2, 4\)"),
    (lambda m: m(gw.zeros(5, 2, 3), gw.zeros(2, 2, 4)), r"hx must be a tuple \(h0, c0\)"),
    (lambda m: m(gw.zeros(5, 2, 3), lengths=[5, 6]), r"every length must be in \[1, 5\]"),
    (lambda m: m(gw.zeros(5, 2, 3), lengths=[5]), r"lengths has 1 entries but the batch has 2"),
    (lambda m: m(gw.zeros(5, 2, 3), lengths=[5, 0]), r"every length must be in \[1, 5\]"),
    (lambda m: nn.LSTM(0, 3), r"input_size must be a positive integer"),
    (lambda m: nn.RNN(3, 4, nonlinearity="gelu"), r"nonlinearity must be 'tanh' or 'relu'"),
    (lambda m: nn.GRU(3, 4, dropout=1.5), r"dropout must be in \[0, 1\], got 1.5"),
    (lambda m: nn.LSTMCell(3, 4)(gw.zeros(2, 5)), r"input must be \(N, 3\)"),
    (lambda m: nn.GRUCell(3, 4)(gw.zeros(2, 3), gw.zeros(3, 4)), r"h must have shape \(2, 4\)"),
])
def test_bad_input_names_the_argument(call, message):
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=message):
        call(m)


def test_dtype_mismatch_is_an_error():
    with pytest.raises(TypeError, match="input has dtype float64 but the parameters are float32"):
        nn.LSTM(3, 4)(gw.zeros(2, 1, 3, dtype="float64"))


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("GRADWORK_SLOW") != "1",
                    reason="learning test (~10 s on a quiet machine): set GRADWORK_SLOW=1")
def test_lstm_learns_the_adding_problem_and_a_tanh_rnn_does_not(monkeypatch):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")          # importing benchmarks sets them; undone after
    from benchmarks.adding_problem import run
    mse = run(seq_len=50, hidden=32, epochs=8, steps_per_epoch=100, batch=64, lr=1e-2, seed=0,
              log=lambda line: None)
    assert mse["lstm"] < 0.01, mse
    assert mse["rnn"] > 0.1, mse


def test_gru_reset_before_module():
    """GRU(reset_after=False): PyTorch's parameter names and layout, Cho et al.'s equations
    (checked step by step against a PyTorch reference), two layers both ways gradchecked;
    GRUCell(reset_after=False) is its first step."""
    from tests.ops.test_recurrent import _torch_gru_reset_before
    torch.manual_seed(0)
    tm = torch.nn.GRU(3, 4).double()
    m = nn.GRU(3, 4, reset_after=False).double()
    assert list(m.state_dict()) == list(nn.GRU(3, 4).state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    out, h = m(gw.tensor(x))
    p = dict(tm.named_parameters())
    ref, ref_h = _torch_gru_reset_before(torch.from_numpy(x), torch.zeros(2, 4).double(),
                                         p["weight_ih_l0"],
                                         p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    assert_close(out, ref, 1e-12, 1e-10)
    assert_close(h[0], ref_h, 1e-12, 1e-10)
    cell = nn.GRUCell(3, 4, reset_after=False).double()
    cell.load_state_dict({k[:-3]: v for k, v in m.state_dict().items()})
    assert_close(cell(gw.tensor(x[0])), ref[0], 1e-12, 1e-10)
    assert "reset_after=False" in repr(m)
    deep = nn.GRU(2, 3, num_layers=2, bidirectional=True, reset_after=False).double()
    gradcheck(lambda x: deep(x)[0], [gw.Tensor(np.random.default_rng(1).standard_normal(
        (3, 2, 2)), requires_grad=True)])
