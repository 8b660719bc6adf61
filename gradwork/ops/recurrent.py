"""Recurrent sequence ops: Elman RNN, LSTM (plain, peephole, coupled) and GRU (PyTorch's, and
Cho et al.'s with the reset gate before the matmul), on one skeleton.

One autograd node per layer and direction, `_SequenceOp`, owns everything but the gate
equations: the schedule (direction, variable lengths), the saved states, the time loop forward
and BPTT backward as deck 004 derives it,

    ∂L/∂h_t = ∂L/∂ŷ_t ∂ŷ_t/∂h_t + ∂L/∂h_{t+1} ∂h_{t+1}/∂h_t,

and then the weight gradients Σ_t δ_tᵀ x_t and Σ_t δ_tᵀ h_{t−1} as one matmul each (deck 001:
"sum gradients for W at each time step"). Memory is linear in T and nothing recurses, so BPTT
over thousands of steps works. Each cell (ops/recurrent_cells.py) supplies its gate equations,
forward and backward, and names its gradients; a new cell (GNMT attention, a language model's)
is a new `Cell`, not a new loop. A cell module is a sequence of one step: the same op.

Rows are independent sequences: where a step's work is large enough, the batch is cut into one
range of rows per thread and each pool worker runs the whole time loop, forward or back, over
its rows with single-threaded GEMMs (gradwork.threads.over_ranges): no synchronisation per
step, where OpenBLAS's own two threads meet at each of the T small GEMMs. This pays where the
cell's loop is one compiled call that releases the GIL (`Cell.compiled`: the LSTM on NumPy);
a Python-level loop's threads take turns at the GIL at every step, and stays whole.

Variable lengths: rows are sorted by decreasing length so that step t updates only the first
n_t rows (PyTorch's packed `batch_sizes`); a finished row's state stays at its last real step,
its padded outputs are 0 and it receives no gradient there. The reverse direction reverses each
sequence within its own length, runs forward, and reverses back.
"""
import operator

from ..autograd import Function, Tensor
from ..backend import array_module
from ..backend import np as _np
from ..threads import matmul as gemm
from ..threads import over_ranges, serial_blas
from .recurrent_cells import ElmanCell, GRUCellEq, GRUResetBeforeCell, LSTMCellEq
from .recurrent_fused import FusedGRUCell, FusedLSTMCell
from .shape import unsqueeze

# The LSTM's compiled gate arithmetic (recurrent_fused.py); False: the NumPy cell, the
# reference the tests compare it with.
FUSED_LSTM = True
# PyTorch's GRU (reset_after) with its whole loop compiled where it can (recurrent_fused.py);
# False: the NumPy cell, the reference the tests compare it with.
FUSED_GRU = True
# The rows can be split over the threads from this many multiply-adds of one step's recurrent
# GEMM (N·G·H·H; W3: 2.1 M) and a batch of 4, each thread running the whole time loop over its
# rows. Off by default: on a quiet 2-core machine, 4 interleaved A/B runs of W3 gave LSTM
# 1.52/1.33/1.34 vs 1.66/1.69/1.55 and GRU 0.69/0.71/0.74 vs 1.04/0.84/0.91 (gradwork/PyTorch,
# split off vs on; benchmarks/RESULTS.md): OpenBLAS's own threads on the step's GEMM win here.
# Set it (e.g. 1 << 18) where more cores make the split pay; the results are the same.
SPLIT_FROM = 1 << 62
# The same for a cell whose time loop is one compiled call that releases the GIL (the LSTM on
# NumPy, kernels/lstm_loop.py): there the threads never wait for each other or for Python, and
# half the rows take half the time (W3's layer at one thread, CPU ms forward / backward:
# batch 16 2.4 / 5.0, batch 32 5.7 / 11.8). Unsplit, a compiled loop runs its GEMMs on one
# thread (threads.serial_blas): (≤ 12, 128)·(128, 512) products are too small for two.
COMPILED_SPLIT_FROM = 1 << 18


# ------------------------------------------------------------------ the time-loop schedule
class _Schedule:
    """Maps the padded (T, N, ·) batch onto the order the time loop runs in, and back.

    Both maps (sort by length, per-sequence reversal) permute the (t, n) positions, so the way
    back is a scatter with the same index."""

    def __init__(self, xp, T, N, lengths, reverse):
        if lengths is not None:
            lengths = xp.asarray(lengths)       # on the data's device (PyTorch's are on the CPU)
        self.T, self.N, self.reverse, self.lengths = T, N, reverse, lengths
        self.sizes = [N] * T
        if lengths is not None:
            self.perm = xp.argsort(-lengths, kind="stable")
            self.lens = lengths[self.perm]                               # decreasing
            steps = xp.arange(T)[:, None]                                # (T, 1)
            self.sizes = (self.lens[None, :] > steps).sum(axis=1).tolist()
            t_src = xp.where(steps < self.lens, self.lens - 1 - steps, steps) if reverse \
                else xp.broadcast_to(steps, (T, N))
            self.index = (t_src, xp.broadcast_to(self.perm, (T, N)))    # loop (s, b) ← padded

    def to_loop(self, a):
        """(T, N, ·) padded → loop order."""
        if self.lengths is not None:
            return a[self.index]
        return a[::-1] if self.reverse else a

    def from_loop(self, a):
        """(T, N, ·) loop order → padded."""
        if self.lengths is not None:
            out = array_module(a).empty_like(a)
            out[self.index] = a
            return out
        return a[::-1] if self.reverse else a

    def state_to_loop(self, h):
        return h if self.lengths is None else h[self.perm]

    def state_from_loop(self, h):
        if self.lengths is None:
            return h
        out = array_module(h).empty_like(h)
        out[self.perm] = h
        return out

    def last(self, states):
        """(T+1, N, H) states in loop order → each row's state after its last real step."""
        if self.lengths is None:
            return states[self.T]
        return self.state_from_loop(states[self.lens, array_module(states).arange(self.N)])

    def alloc(self, xp, shape, dtype):
        """Zeros where padded rows must read as 0 (or stay finite); else uninitialised."""
        return (xp.empty if self.lengths is None else xp.zeros)(shape, dtype)


def _input_grads(need, sched, xl, w_ih, h_prev, grads, split=False):
    """After the loop: one matmul each for dx, dW_ih = Σ δᵀx, dW_hh = Σ δᵀh_{t−1} (dx and dW_hh
    unless the cell formed them) and the biases, from the cell's δ of the input and hidden
    pre-activations. With `split` (the loop ran split over the threads), the weight gradients
    go through threads.matmul (cut over the pool, single-threaded GEMMs): one 2-thread
    OpenBLAS GEMM here left its worker spinning (threads.serial_blas) on the core the next
    step's split loop needed — W3's LSTM step at 2 threads was slower split than unsplit."""
    product = gemm if split else operator.matmul
    T, N, IN = xl.shape
    gx = gw_ih = gw_hh = gb_ih = gb_hh = None
    dx2 = grads.d_x.reshape(T * N, -1)                                   # (T·N, G·H)
    same = grads.d_h is grads.d_x
    dh2 = dx2 if same else grads.d_h.reshape(T * N, -1)
    if need["x"]:
        gx = sched.from_loop(grads.x if grads.x is not None else (dx2 @ w_ih).reshape(T, N, IN))
    if need["w_ih"]:
        gw_ih = product(dx2.T, xl.reshape(T * N, IN))
    if need["w_hh"]:
        gw_hh = grads.w_hh if grads.w_hh is not None else \
            product(dh2.T, h_prev.reshape(T * N, -1))
    if need["b_ih"]:
        gb_ih = dx2.sum(axis=0)
    if need["b_hh"]:
        gb_hh = gb_ih if same and gb_ih is not None else dh2.sum(axis=0)
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


# The time loop of every recurrent cell: states_t+1 = cell(a_t, states_t) forward, BPTT back.
class _SequenceOp(Function):
    """Inputs (x (T, N, I), w_ih, w_hh, b_ih, b_hh, *initial states, *cell parameters), the
    states and parameters named by the cell; outputs (h_1 … h_T (T, N, H), *final states)."""

    def forward(self, x, w_ih, w_hh, b_ih, b_hh, *rest, cell, lengths, reverse):
        xp = array_module(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        self.sched = sched = _Schedule(xp, T, N, lengths, reverse)
        self.xl = xl = sched.to_loop(x)
        k = len(cell.states)
        self.S = S = {}                                                  # name → (T+1, N, H)
        for name, s0 in zip(cell.states, rest[:k]):
            S[name] = sched.alloc(xp, (T + 1, N, H), x.dtype)
            S[name][0] = 0 if s0 is None else sched.state_to_loop(s0)
        self.cell, self.w_ih = cell, w_ih
        cell.start(xp, xl, w_ih, w_hh, b_ih, b_hh, rest[k:], sched, S)
        split_from = COMPILED_SPLIT_FROM if cell.compiled else SPLIT_FROM
        self.split = xp is _np and N >= 4 and N * w_hh.size >= split_from
        _over_rows(lambda lo, hi: cell.run(sched.sizes, lo, hi), N, self.split, cell.compiled)
        h = S[cell.states[0]]
        return (sched.from_loop(h[1:]), *(sched.last(S[s]) for s in cell.states))

    def backward(self, dout, *d_last):
        xp, sched, cell = array_module(dout), self.sched, self.cell
        names = ("x", "w_ih", "w_hh", "b_ih", "b_hh", *cell.states, *cell.params)
        need = dict(zip(names, self.needs_input_grad))
        cell.start_backward(xp, sched, need)
        dout = xp.ascontiguousarray(sched.to_loop(dout))
        ds = [xp.array(sched.state_to_loop(d), copy=True) for d in d_last]
        _over_rows(lambda lo, hi: cell.run_back(sched.sizes, lo, hi, dout, ds), sched.N,
                   self.split, cell.compiled)
        grads = cell.gradients(need)
        weights = _input_grads(need, sched, self.xl, self.w_ih, self.S["h"][:-1], grads,
                               self.split)
        states = (sched.state_from_loop(d) if need[s] else None for s, d in zip(cell.states, ds))
        return (*weights, *states, *(grads.params.get(p) for p in cell.params))


def _over_rows(run, N, split, compiled):
    """run(lo, hi) over the rows [0, N): one range per thread if `split`, else one call, with
    single-threaded BLAS if the loop is compiled (its GEMMs are too small for two threads)."""
    if split:
        over_ranges(run, N)
    elif compiled:
        serial_blas(run, 0, N)
    else:
        run(0, N)


# ------------------------------------------------------------------ public functions
def check_lengths(op, lengths, T, N):
    """`lengths` (1-D ints: a Tensor, array or list) → int64 array, checked against (T, N)."""
    from ..backend import np
    arr = lengths._data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError(f"{op}: lengths must be a 1-D integer sequence, got shape "
                         f"{tuple(arr.shape)} and dtype {arr.dtype}")
    if arr.shape[0] != N:
        raise ValueError(f"{op}: lengths has {arr.shape[0]} entries but the batch has {N} "
                         "sequences")
    if arr.size and (arr.min() < 1 or arr.max() > T):
        raise ValueError(f"{op}: every length must be in [1, {T}] (the padded sequence length), "
                         f"got lengths from {arr.min()} to {arr.max()}")
    return arr.astype(np.int64)


def _check_state(op, name, h, N, H):
    if h is not None and tuple(h.shape) != (N, H):
        raise ValueError(f"{op}: {name} must have shape ({N}, {H}), got {tuple(h.shape)}")


def _check_layer(op, x, w_ih, w_hh, G):
    if x.ndim != 3:
        raise ValueError(f"{op}: input must be 3-D (T, N, input_size), got shape {tuple(x.shape)}")
    H = w_hh.shape[1]
    if tuple(w_hh.shape) != (G * H, H) or w_ih.ndim != 2 or w_ih.shape[0] != G * H:
        raise ValueError(f"{op}: weight_hh must be ({G}·H, H) and weight_ih ({G}·H, I), got "
                         f"{tuple(w_hh.shape)} and {tuple(w_ih.shape)}")
    if x.shape[2] != w_ih.shape[1]:
        raise ValueError(f"{op}: input has {x.shape[2]} features but weight_ih expects "
                         f"{w_ih.shape[1]} (input shape {tuple(x.shape)})")
    return H


def rnn_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", lengths=None,
              reverse=False):
    """One Elman RNN layer over a sequence: x (T, N, I), h0 (N, H) or None → (output (T, N, H),
    h_n (N, H)). h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act = tanh or relu."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    H = _check_layer("rnn", x, w_ih, w_hh, 1)
    _check_state("rnn", "h0", h0, x.shape[1], H)
    if lengths is not None:
        lengths = check_lengths("rnn", lengths, *x.shape[:2])
    return _SequenceOp.apply(x, w_ih, w_hh, b_ih, b_hh, h0, cell=ElmanCell(nonlinearity == "relu"),
                             lengths=lengths, reverse=reverse)


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, peephole=None, coupled=False,
               lengths=None, reverse=False):
    """One LSTM layer over a sequence: x (T, N, I), h0, c0 (N, H) or None → (output (T, N, H),
    h_n, c_n (N, H)). Gate blocks (i, f, g, o), or (f, g, o) with coupled=True (i = 1 − f);
    peephole = (w_ci or None, w_cf, w_co), each (H,), or None."""
    G = 3 if coupled else 4
    H = _check_layer("lstm", x, w_ih, w_hh, G)
    for name, h in (("h0", h0), ("c0", c0)):
        _check_state("lstm", name, h, x.shape[1], H)
    if lengths is not None:
        lengths = check_lengths("lstm", lengths, *x.shape[:2])
    w_ci, w_cf, w_co = (None, None, None) if peephole is None else peephole
    cell = (FusedLSTMCell if FUSED_LSTM else LSTMCellEq)(coupled)
    return _SequenceOp.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_ci, w_cf, w_co, cell=cell,
                             lengths=lengths, reverse=reverse)


def gru_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, lengths=None, reverse=False,
              reset_after=True):
    """One GRU layer over a sequence: x (T, N, I), h0 (N, H) or None → (output (T, N, H),
    h_n (N, H)). Gate blocks (r, z, n). reset_after=True: PyTorch's equations,
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); False: Cho et al. (2014),
    n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)."""
    H = _check_layer("gru", x, w_ih, w_hh, 3)
    _check_state("gru", "h0", h0, x.shape[1], H)
    if lengths is not None:
        lengths = check_lengths("gru", lengths, *x.shape[:2])
    cell = (FusedGRUCell if FUSED_GRU else GRUCellEq)() if reset_after else GRUResetBeforeCell()
    return _SequenceOp.apply(x, w_ih, w_hh, b_ih, b_hh, h0, cell=cell, lengths=lengths,
                             reverse=reverse)


# A cell is a sequence of one step: the same op, the same gate arithmetic.
def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); x (N, I), h (N, H) or None → (N, H)."""
    return rnn_layer(unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh, nonlinearity)[1]


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None, peephole=None, coupled=False):
    """One LSTM step: x (N, I), h, c (N, H) or None → (h', c')."""
    _, h1, c1 = lstm_layer(unsqueeze(x, 0), h, c, w_ih, w_hh, b_ih, b_hh, peephole, coupled)
    return h1, c1


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, reset_after=True):
    """One GRU step: x (N, I), h (N, H) or None → h' (N, H)."""
    return gru_layer(unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh, reset_after=reset_after)[1]
