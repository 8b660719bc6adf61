"""Recurrent layers: `RNN`, `LSTM`, `GRU` (stacked, bidirectional) and their one-step cells.

Parameter names, shapes, gate order and initialisation U(±1/√hidden_size) are PyTorch's, so a
PyTorch state dict loads unchanged and gives the same outputs. Each layer and direction runs as
one op (`gradwork.ops.recurrent`), whose backward is BPTT over the whole sequence (deck 004).

Beyond PyTorch (deck 004's variants):
- `LSTM(peephole=True)`: Gers & Schmidhuber (2000) peephole connections, diagonal weights
  `weight_ci_l{k}`, `weight_cf_l{k}`, `weight_co_l{k}` (hidden_size,):
  i = σ(… + w_ci ⊙ c_{t−1}), f = σ(… + w_cf ⊙ c_{t−1}), o = σ(… + w_co ⊙ c_t).
- `LSTM(coupled=True)`: coupled input and forget gates, C_t = f ⊙ C_{t−1} + (1 − f) ⊙ C̃_t.
  The weights then hold 3 gate blocks, in the order (f, g, o): weight_ih_l{k} is (3H, I).
- `learn_initial_state=True` (deck 004: "treat the initial states as learned parameters"):
  parameters `h0` (and `c0` for LSTM) of shape (num_layers·num_directions, 1, hidden_size),
  broadcast over the batch whenever no hx is given.
- `forward(input, hx=None, lengths=None)`: `lengths` (N,) gives each sequence's true length;
  padded steps do not change the real steps' outputs and get no gradient, outputs there are 0,
  and h_n (c_n) hold each sequence's state at its last real step, as PyTorch's
  `pack_padded_sequence(enforce_sorted=False)` gives. The output keeps the input's length T.
"""
import math

from .. import backend
from ..autograd import Tensor
from ..errors import DTypeError, check_positive_int, check_probability
from ..ops import cat, expand, squeeze, stack, transpose, unsqueeze
from ..ops.dropout import dropout as _dropout
from ..ops.recurrent import (
    check_lengths,
    gru_cell,
    gru_layer,
    lstm_cell,
    lstm_layer,
    rnn_cell,
    rnn_layer,
)
from . import init
from .module import Module
from .parameter import Parameter


def _add_gate_weights(module, suffix, gates, input_size, hidden_size, bias, peephole, coupled,
                      dtype):
    """Register weight_ih{suffix} (G·H, I), weight_hh (G·H, H), biases and peephole weights."""
    def new(*shape):
        return Parameter(backend.np.empty(shape, dtype))
    G, H = gates, hidden_size
    setattr(module, f"weight_ih{suffix}", new(G * H, input_size))
    setattr(module, f"weight_hh{suffix}", new(G * H, H))
    if bias:
        setattr(module, f"bias_ih{suffix}", new(G * H))
        setattr(module, f"bias_hh{suffix}", new(G * H))
    if peephole:
        names = ("cf", "co") if coupled else ("ci", "cf", "co")   # coupled: no separate i gate
        for name in names:
            setattr(module, f"weight_{name}{suffix}", new(H))


def _gate_weights(module, suffix, bias, peephole):
    """(w_ih, w_hh, b_ih, b_hh, peephole tuple or None) registered under `suffix`."""
    get = module._parameters.get
    w = (get(f"weight_ih{suffix}"), get(f"weight_hh{suffix}"),
         get(f"bias_ih{suffix}") if bias else None, get(f"bias_hh{suffix}") if bias else None)
    peep = None
    if peephole:
        peep = (get(f"weight_ci{suffix}"), get(f"weight_cf{suffix}"), get(f"weight_co{suffix}"))
    return w + (peep,)


def _check_options(layer, input_size, hidden_size, nonlinearity=None):
    check_positive_int(layer, "input_size", input_size)
    check_positive_int(layer, "hidden_size", hidden_size)
    if nonlinearity is not None and nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{layer}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def _check_dtype(layer, x, weight):
    if x.dtype != weight.dtype:
        raise DTypeError(f"{layer}: input has dtype {x.dtype} but the parameters are "
                         f"{weight.dtype}; convert one (module.double() or input.float())")


class _RNNBase(Module):
    """The stack shared by RNN, LSTM and GRU: layers × directions of one sequence op each.
    Subclasses set `gates`, `n_states` and `_layer(x, states, weights, lengths, reverse)`,
    which runs one layer in one direction → (output (T, N, H), tuple of final states)."""

    gates = 1            # gate blocks per weight matrix
    n_states = 1         # h, or (h, c)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, learn_initial_state=False, dtype=None,
                 **options):
        super().__init__()
        for key, value in options.items():       # the cell's own (nonlinearity, peephole, …)
            setattr(self, key, value)
        name = type(self).__name__
        _check_options(name, input_size, hidden_size, getattr(self, "nonlinearity", None))
        check_positive_int(name, "num_layers", num_layers)
        check_probability(name, "dropout", dropout)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.learn_initial_state = bidirectional, learn_initial_state
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        D = 2 if bidirectional else 1
        for k in range(num_layers):
            for suffix in (f"_l{k}", f"_l{k}_reverse")[:D]:
                in_size = input_size if k == 0 else hidden_size * D
                _add_gate_weights(self, suffix, self.gates, in_size, hidden_size, bias,
                                  self._peephole(), self._coupled(), dtype)
        if learn_initial_state:
            for name in ("h0", "c0")[:self.n_states]:
                setattr(self, name, Parameter(backend.np.empty((num_layers * D, 1, hidden_size),
                                                               dtype)))
        self.reset_parameters()

    def _peephole(self):
        return False

    def _coupled(self):
        return False

    def reset_parameters(self):
        """Every parameter ~ U(±1/√hidden_size), PyTorch's default."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def forward(self, input, hx=None, lengths=None):
        name = type(self).__name__
        x = input
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: input must be 2-D (L, {self.input_size}) unbatched or 3-D "
                             f"{'(N, L' if self.batch_first else '(L, N'}, {self.input_size}), "
                             f"got shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size "
                             f"{self.input_size}, got input of shape {tuple(x.shape)}")
        _check_dtype(name, x, self.weight_ih_l0)
        batched = x.ndim == 3
        if not batched:
            x = unsqueeze(x, 1)
        elif self.batch_first:
            x = transpose(x, 0, 1)
        T, N = x.shape[:2]
        states = self._initial_states(hx, N, batched, x)
        if lengths is not None:
            lengths = check_lengths(name, lengths, T, N)
        D = 2 if self.bidirectional else 1
        finals = []
        for k in range(self.num_layers):
            outs = []
            for d, suffix in enumerate((f"_l{k}", f"_l{k}_reverse")[:D]):
                s = tuple(None if h is None else h[k * D + d] for h in states)
                weights = _gate_weights(self, suffix, self.bias, self._peephole())
                out, last = self._layer(x, s, weights, lengths, d == 1)
                outs.append(out)
                finals.append(last)
            x = outs[0] if D == 1 else cat(outs, dim=2)
            if self.dropout and self.training and k < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        h_n = tuple(stack([f[i] for f in finals], 0) for i in range(self.n_states))
        if not batched:
            x, h_n = squeeze(x, 1), tuple(squeeze(h, 1) for h in h_n)
        elif self.batch_first:
            x = transpose(x, 0, 1)
        return x, (h_n if self.n_states == 2 else h_n[0])

    def _initial_states(self, hx, N, batched, x):
        """hx (or the learned h0/c0, or zeros) as a tuple of (L·D, N, H) tensors or Nones."""
        name = type(self).__name__
        L, H = self.num_layers * (2 if self.bidirectional else 1), self.hidden_size
        if hx is None:
            if not self.learn_initial_state:
                return (None,) * self.n_states
            return tuple(expand(getattr(self, k), L, N, H) for k in ("h0", "c0")[:self.n_states])
        if self.n_states == 2 and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"{name}: hx must be a tuple (h0, c0), got {type(hx).__name__}")
        hx = tuple(hx) if self.n_states == 2 else (hx,)
        expected = (L, N, H) if batched else (L, H)
        out = []
        for k, h in zip(("h0", "c0"), hx):
            if not isinstance(h, Tensor) or tuple(h.shape) != expected:
                got = tuple(h.shape) if isinstance(h, Tensor) else type(h).__name__
                raise ValueError(f"{name}: {k} must have shape {expected} (num_layers·"
                                 f"num_directions, {'batch, ' if batched else ''}hidden_size), "
                                 f"got {got}")
            _check_dtype(f"{name} {k}", h, x)
            out.append(h if batched else unsqueeze(h, 1))
        return tuple(out)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for key, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                             ("dropout", 0.0), ("bidirectional", False),
                             ("learn_initial_state", False)):
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)}"
        return s


class RNN(_RNNBase):
    """Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act = tanh or relu
    (deck 004, "the vanilla RNN model").

    input (L, N, H_in) [or (N, L, H_in) with batch_first, or (L, H_in)], hx (num_layers·D, N, H)
    → output (L, N, D·H), h_n (num_layers·D, N, H). Elman (1990)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, learn_initial_state=False,
                 dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, learn_initial_state, dtype, nonlinearity=nonlinearity)

    def _layer(self, x, states, weights, lengths, reverse):
        out, h = rnn_layer(x, states[0], *weights[:4], self.nonlinearity, lengths, reverse)
        return out, (h,)

    def extra_repr(self):
        extra = "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        return super().extra_repr() + extra


class LSTM(_RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; deck 004, "LSTM in detail"):

        i, f, g, o = σ, σ, tanh, σ of (x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), PyTorch's order
        c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

    input (L, N, H_in), hx = (h0, c0) each (num_layers·D, N, H) → output (L, N, D·H),
    (h_n, c_n). Options beyond PyTorch: peephole, coupled, learn_initial_state (module doc)."""

    n_states = 2

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, peephole=False, coupled=False,
                 learn_initial_state=False, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, learn_initial_state, dtype, peephole=bool(peephole),
                         coupled=bool(coupled))

    @property
    def gates(self):
        return 3 if self.coupled else 4

    def _peephole(self):
        return self.peephole

    def _coupled(self):
        return self.coupled

    def _layer(self, x, states, weights, lengths, reverse):
        out, h, c = lstm_layer(x, states[0], states[1], *weights, self.coupled, lengths, reverse)
        return out, (h, c)

    def extra_repr(self):
        s = super().extra_repr()
        return s + "".join(f", {k}=True" for k in ("peephole", "coupled") if getattr(self, k))


class GRU(_RNNBase):
    """Gated recurrent unit (Cho et al. 2014), PyTorch's equations and gate order (r, z, n):

        r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h

    reset_after=False gives the original variant (Cho et al. 2014, eqs. 5–8; deck 004 after
    Olah), which resets before the matmul, n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn), with
    the same parameter names and layout. Deck 004 also writes h' = (1 − z) ⊙ h + z ⊙ n (z and
    1 − z swapped, a relabelling of z); the forms are equally expressive but their weights are
    not interchangeable."""

    gates = 3

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, learn_initial_state=False, dtype=None,
                 reset_after=True):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, learn_initial_state, dtype, reset_after=bool(reset_after))

    def _layer(self, x, states, weights, lengths, reverse):
        out, h = gru_layer(x, states[0], *weights[:4], lengths, reverse, self.reset_after)
        return out, (h,)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.reset_after else ", reset_after=False")


class _RNNCellBase(Module):
    """One step of a recurrent cell: weight_ih (G·H, I), weight_hh (G·H, H), bias_ih, bias_hh."""

    gates, n_states = 1, 1

    def __init__(self, input_size, hidden_size, bias=True, peephole=False, coupled=False,
                 learn_initial_state=False, dtype=None, **options):
        super().__init__()
        for key, value in options.items():       # the cell's own (nonlinearity, reset_after)
            setattr(self, key, value)
        name = type(self).__name__
        _check_options(name, input_size, hidden_size, getattr(self, "nonlinearity", None))
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.peephole, self.coupled = peephole, coupled
        self.learn_initial_state = learn_initial_state
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        _add_gate_weights(self, "", self.gates, input_size, hidden_size, bias, peephole, coupled,
                          dtype)
        if learn_initial_state:
            for k in ("h0", "c0")[:self.n_states]:
                setattr(self, k, Parameter(backend.np.empty((1, hidden_size), dtype)))
        self.reset_parameters()

    reset_parameters = _RNNBase.reset_parameters

    def forward(self, input, hx=None):
        name = type(self).__name__
        x = input
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input must be (N, {self.input_size}) or "
                             f"({self.input_size},), got shape {tuple(x.shape)}")
        _check_dtype(name, x, self.weight_ih)
        batched = x.ndim == 2
        x = x if batched else unsqueeze(x, 0)
        N, H = x.shape[0], self.hidden_size
        if hx is None:
            states = (None,) * self.n_states
            if self.learn_initial_state:
                states = tuple(expand(getattr(self, k), N, H) for k in ("h0", "c0")[:self.n_states])
        else:
            if self.n_states == 2 and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise ValueError(f"{name}: hx must be a tuple (h, c), got {type(hx).__name__}")
            states = tuple(hx) if self.n_states == 2 else (hx,)
            expected = (N, H) if batched else (H,)
            for k, h in zip(("h", "c"), states):
                if not isinstance(h, Tensor) or tuple(h.shape) != expected:
                    got = tuple(h.shape) if isinstance(h, Tensor) else type(h).__name__
                    raise ValueError(f"{name}: {k} must have shape {expected}, got {got}")
                _check_dtype(f"{name} {k}", h, x)
            states = states if batched else tuple(unsqueeze(h, 0) for h in states)
        w = _gate_weights(self, "", self.bias, self.peephole)
        out = self._step(x, states, w)
        if not batched:
            out = tuple(squeeze(h, 0) for h in out)
        return out if self.n_states == 2 else out[0]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for key, default in (("bias", True), ("peephole", False), ("coupled", False),
                             ("learn_initial_state", False)):
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)}"
        return s


class RNNCell(_RNNCellBase):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu. x (N, I), h (N, H)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh",
                 learn_initial_state=False, dtype=None):
        super().__init__(input_size, hidden_size, bias, learn_initial_state=learn_initial_state,
                         dtype=dtype, nonlinearity=nonlinearity)

    def _step(self, x, states, w):
        return (rnn_cell(x, states[0], *w[:4], self.nonlinearity),)


class LSTMCell(_RNNCellBase):
    """One LSTM step (equations in `LSTM`): x (N, I), hx = (h, c) each (N, H) → (h', c').
    Options peephole, coupled, learn_initial_state as in `LSTM`; h0, c0 are (1, H)."""

    n_states = 2

    def __init__(self, input_size, hidden_size, bias=True, peephole=False, coupled=False,
                 learn_initial_state=False, dtype=None):
        super().__init__(input_size, hidden_size, bias, peephole, coupled, learn_initial_state,
                         dtype)

    @property
    def gates(self):
        return 3 if self.coupled else 4

    def _step(self, x, states, w):
        return lstm_cell(x, states[0], states[1], *w, self.coupled)


class GRUCell(_RNNCellBase):
    """One GRU step (equations and the deck's variant, reset_after=False, in `GRU`):
    x (N, I), h (N, H) → h'."""

    gates = 3

    def __init__(self, input_size, hidden_size, bias=True, learn_initial_state=False, dtype=None,
                 reset_after=True):
        super().__init__(input_size, hidden_size, bias, learn_initial_state=learn_initial_state,
                         dtype=dtype, reset_after=bool(reset_after))

    def _step(self, x, states, w):
        return (gru_cell(x, states[0], *w[:4], reset_after=self.reset_after),)
