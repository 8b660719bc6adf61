"""The fused sequence ops of ops/recurrent.py: gradchecks of every variant, an independent
step-by-step PyTorch reference for the LSTM variants PyTorch lacks, and the padding contract."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.ops.recurrent import gru_layer, lstm_cell, lstm_layer, rnn_layer
from gradwork.tools import gradcheck
from tests.helpers import assert_close

T, N, IN, H = 4, 2, 2, 3


def _tensors(rng, *shapes, scale=1.0):
    return [gw.Tensor(rng.standard_normal(s) * scale, requires_grad=True) for s in shapes]


def _weights(rng, G, bias=True, peephole=False, coupled=False):
    w = _tensors(rng, (G * H, IN), (G * H, H), scale=0.7)
    b = _tensors(rng, (G * H,), (G * H,), scale=0.5) if bias else [None, None]
    peep = None
    if peephole:
        peep = tuple(_tensors(rng, *[(H,)] * 3, scale=0.5))
        if coupled:
            peep = (None,) + peep[1:]
    return w + b, peep


def _inputs(rng):
    return _tensors(rng, (T, N, IN), (N, H), (N, H))


LENGTHS = [None, np.array([2, 4])]


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("peephole,coupled", [(False, False), (True, False), (False, True),
                                              (True, True)])
def test_lstm_layer_gradcheck(peephole, coupled, reverse, lengths):
    rng = np.random.default_rng(1)
    x, h0, c0 = _inputs(rng)
    w, peep = _weights(rng, 3 if coupled else 4, peephole=peephole, coupled=coupled)
    peep_list = [p for p in (peep or ()) if p is not None]

    def fn(x, h0, c0, *params):
        return lstm_layer(x, h0, c0, *w, peephole=peep, coupled=coupled, lengths=lengths,
                          reverse=reverse)
    gradcheck(fn, [x, h0, c0, *w, *peep_list])


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", ["tanh", "relu", "gru"])
def test_rnn_and_gru_layer_gradcheck(kind, reverse, lengths):
    rng = np.random.default_rng(2)
    x, h0, _ = _inputs(rng)
    w, _ = _weights(rng, 3 if kind == "gru" else 1)

    def fn(x, h0, *params):
        if kind == "gru":
            return gru_layer(x, h0, *w, lengths=lengths, reverse=reverse)
        return rnn_layer(x, h0, *w, nonlinearity=kind, lengths=lengths, reverse=reverse)
    gradcheck(fn, [x, h0, *w])


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_no_bias_no_initial_state_gradcheck(kind):
    rng = np.random.default_rng(3)
    x, _, _ = _inputs(rng)
    w, _ = _weights(rng, {"lstm": 4, "gru": 3, "rnn": 1}[kind], bias=False)
    layer = {"lstm": lambda x: lstm_layer(x, None, None, *w),
             "gru": lambda x: gru_layer(x, None, *w), "rnn": lambda x: rnn_layer(x, None, *w)}
    gradcheck(lambda x, *p: layer[kind](x), [x, *w[:2]])


def _torch_lstm_reference(x, h, c, w_ih, w_hh, b_ih, b_hh, peep, coupled):
    """Deck 004's LSTM variants written step by step in PyTorch (independent of gradwork)."""
    outs = []
    for t in range(x.shape[0]):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        if coupled:
            af, ag, ao = a.chunk(3, dim=1)
            f = torch.sigmoid(af + (peep[1] * c if peep else 0))
            i = 1 - f
        else:
            ai, af, ag, ao = a.chunk(4, dim=1)
            i = torch.sigmoid(ai + (peep[0] * c if peep else 0))
            f = torch.sigmoid(af + (peep[1] * c if peep else 0))
        c = f * c + i * torch.tanh(ag)
        o = torch.sigmoid(ao + (peep[2] * c if peep else 0))
        h = o * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs), h, c


@pytest.mark.parametrize("peephole,coupled", [(True, False), (False, True), (True, True)])
def test_lstm_variants_match_a_step_by_step_reference(peephole, coupled):
    rng = np.random.default_rng(4)
    x, h0, c0 = _inputs(rng)
    w, peep = _weights(rng, 3 if coupled else 4, peephole=peephole, coupled=coupled)
    ours = lstm_layer(x, h0, c0, *w, peephole=peep, coupled=coupled)
    tt = {id(t): torch.tensor(t.detach().numpy(), requires_grad=True)
          for t in [x, h0, c0, *w, *(peep or ())]
          if t is not None}
    tpeep = None if peep is None else tuple(None if p is None else tt[id(p)] for p in peep)
    ref = _torch_lstm_reference(*(tt[id(t)] for t in [x, h0, c0, *w]), tpeep, coupled)
    vs = [rng.standard_normal(o.shape) for o in ours]
    sum((o * gw.Tensor(v)).sum() for o, v in zip(ours, vs)).backward()
    sum((o * torch.from_numpy(v)).sum() for o, v in zip(ref, vs)).backward()
    for o, r in zip(ours, ref):
        assert_close(o, r, 1e-12, 1e-10, "forward")
    for t in [x, h0, c0, *w, *(peep or ())]:
        if t is not None:
            assert_close(t.grad, tt[id(t)].grad, 1e-12, 1e-10, "gradient")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("reverse", [False, True])
def test_padded_steps_change_nothing_and_get_no_gradient(kind, reverse):
    rng = np.random.default_rng(5)
    lengths = np.array([1, 4, 3])
    x = rng.standard_normal((4, 3, IN))
    w, _ = _weights(rng, {"lstm": 4, "gru": 3, "rnn": 1}[kind])
    run = {"lstm": lambda x: lstm_layer(x, None, None, *w, lengths=lengths, reverse=reverse),
           "gru": lambda x: gru_layer(x, None, *w, lengths=lengths, reverse=reverse),
           "rnn": lambda x: rnn_layer(x, None, *w, lengths=lengths, reverse=reverse)}[kind]
    x1 = gw.Tensor(x, requires_grad=True)
    out1 = run(x1)
    x2 = x.copy()
    x2[1:, 0] = 100.0          # padding of sequence 0 (length 1)
    x2[3:, 2] = -7.0           # padding of sequence 2 (length 3)
    out2 = run(gw.Tensor(x2))
    for a, b in zip(out1, out2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert (out1[0].detach().numpy()[1:, 0] == 0).all()
    assert (out1[0].detach().numpy()[3:, 2] == 0).all()
    sum(o.sum() for o in out1).backward()
    assert (x1.grad.numpy()[1:, 0] == 0).all() and (x1.grad.numpy()[3:, 2] == 0).all()
    assert (x1.grad.numpy()[:1, 0] != 0).all()
    # each sequence alone, unpadded, gives the same outputs and final state
    for b, L in enumerate(lengths):
        alone = {"lstm": lambda x: lstm_layer(x, None, None, *w, reverse=reverse),
                 "gru": lambda x: gru_layer(x, None, *w, reverse=reverse),
                 "rnn": lambda x: rnn_layer(x, None, *w, reverse=reverse)}[kind](
            gw.Tensor(x[:L, b:b + 1]))
        np.testing.assert_allclose(out1[0].detach().numpy()[:L, b], alone[0].detach().numpy()[:, 0],
                                   atol=1e-14)
        np.testing.assert_allclose(out1[1].detach().numpy()[b], alone[1].detach().numpy()[0],
                                   atol=1e-14)


def test_full_lengths_equal_no_lengths():
    rng = np.random.default_rng(6)
    x, h0, c0 = _inputs(rng)
    w, _ = _weights(rng, 4)
    a = lstm_layer(x, h0, c0, *w, reverse=True)
    b = lstm_layer(x, h0, c0, *w, lengths=[T] * N, reverse=True)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u.detach().numpy(), v.detach().numpy(), atol=1e-15)


def test_cell_is_the_first_step_of_the_layer():
    rng = np.random.default_rng(7)
    x, h0, c0 = _inputs(rng)
    w, peep = _weights(rng, 4, peephole=True)
    out, _, _ = lstm_layer(x, h0, c0, *w, peephole=peep)
    h1, c1 = lstm_cell(x[0], h0, c0, *w, peephole=peep)
    np.testing.assert_allclose(h1.detach().numpy(), out.detach().numpy()[0], atol=1e-15)
    x0 = x[0].detach().requires_grad_()
    gradcheck(lambda x, h, c: lstm_cell(x, h, c, *w, peephole=peep), [x0, h0, c0])


def test_float32_stays_float32():
    rng = np.random.default_rng(8)
    x = gw.Tensor(rng.standard_normal((T, N, IN)).astype(np.float32), requires_grad=True)
    w = [gw.Tensor(a.detach().numpy().astype(np.float32), requires_grad=True)
         for a in _weights(rng, 3)[0]]
    out, h = gru_layer(x, None, *w)
    out.sum().backward()
    assert out.dtype == h.dtype == x.grad.dtype == w[0].grad.dtype == np.float32


@pytest.mark.parametrize("bad,message", [
    (dict(lengths=[1, 5]), r"lengths from 1 to 5"),
    (dict(lengths=[0, 2]), r"in \[1, 4\]"),
    (dict(lengths=[1, 2, 3]), r"3 entries but the batch has 2"),
    (dict(lengths=[[1, 2]]), r"1-D integer"),
    (dict(lengths=[1.0, 2.0]), r"1-D integer"),
])
def test_bad_lengths(bad, message):
    rng = np.random.default_rng(9)
    x, h0, c0 = _inputs(rng)
    w, _ = _weights(rng, 4)
    with pytest.raises(ValueError, match=message):
        lstm_layer(x, h0, c0, *w, **bad)


def test_bad_state_and_input_shapes():
    rng = np.random.default_rng(10)
    x, h0, c0 = _inputs(rng)
    w, _ = _weights(rng, 3)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 3\), got \(3, 2\)"):
        gru_layer(x, h0.reshape(3, 2), *w)
    with pytest.raises(ValueError, match=r"input has 3 features but weight_ih expects 2"):
        gru_layer(gw.zeros(T, N, 3, dtype="float64"), h0, *w)
    with pytest.raises(ValueError, match=r"input must be 3-D"):
        gru_layer(x[0], h0, *w)
    with pytest.raises(ValueError, match=r"nonlinearity must be 'tanh' or 'relu'"):
        rnn_layer(x, None, *_weights(rng, 1)[0], nonlinearity="sigmoid")


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_reset_before_gradcheck(bias, reverse, lengths):
    """The GRU of Cho et al. (2014) (reset_after=False): a cell of the same skeleton."""
    rng = np.random.default_rng(5)
    x, h0, _ = _inputs(rng)
    w, _ = _weights(rng, 3, bias=bias)
    inputs = [x, h0, *(t for t in w if t is not None)]

    def fn(x, h0, *params):
        return gru_layer(x, h0, *w, lengths=lengths, reverse=reverse, reset_after=False)
    gradcheck(fn, inputs)


def _torch_gru_reset_before(x, h, w_ih, w_hh, b_ih, b_hh):
    """Cho et al. (2014) eqs. 5–8 step by step in PyTorch, PyTorch's (r, z, n) layout:
    n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn), h' = (1 − z) ⊙ n + z ⊙ h."""
    outs = []
    for x_t in x:
        a = x_t @ w_ih.T + b_ih
        hr, hz, hn = w_hh.chunk(3, 0)
        br, bz, bn = b_hh.chunk(3, 0)
        ar, az, an = a.chunk(3, 1)
        r = torch.sigmoid(ar + h @ hr.T + br)
        z = torch.sigmoid(az + h @ hz.T + bz)
        n = torch.tanh(an + (r * h) @ hn.T + bn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs), h


def test_gru_reset_before_matches_a_step_by_step_reference():
    rng = np.random.default_rng(6)
    x, h0, _ = _inputs(rng)
    w, _ = _weights(rng, 3)
    ours = gru_layer(x, h0, *w, reset_after=False)
    tt = {id(t): torch.tensor(t.detach().numpy(), requires_grad=True) for t in [x, h0, *w]}
    ref = _torch_gru_reset_before(*(tt[id(t)] for t in [x, h0, *w]))
    vs = [rng.standard_normal(o.shape) for o in ours]
    sum((o * gw.Tensor(v)).sum() for o, v in zip(ours, vs)).backward()
    sum((o * torch.from_numpy(v)).sum() for o, v in zip(ref, vs)).backward()
    for o, r in zip(ours, ref):
        assert_close(o, r, 1e-12, 1e-10, "forward")
    for t in [x, h0, *w]:
        assert_close(t.grad, tt[id(t)].grad, 1e-12, 1e-10, "gradient")
    after = gru_layer(x, h0, *w)                        # PyTorch's form differs on these weights
    assert not np.allclose(after[0].detach().numpy(), ours[0].detach().numpy())
