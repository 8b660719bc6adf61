"""Recurrent sequence ops: Elman RNN, LSTM (with peephole and coupled-gate options) and GRU.

One autograd node per layer and direction. Forward projects the inputs of all steps with one
matmul (x W_ihᵀ + b), loops the cell over time on arrays and keeps the gate activations;
backward is BPTT as deck 004 derives it,

    ∂L/∂h_t = ∂L/∂ŷ_t ∂ŷ_t/∂h_t + ∂L/∂h_{t+1} ∂h_{t+1}/∂h_t,

looping back over time, and then forms the weight gradients Σ_t δ_tᵀ x_t and Σ_t δ_tᵀ h_{t−1}
as one matmul each (deck 001: "sum gradients for W at each time step"). Memory is linear in T
and nothing recurses, so BPTT over thousands of steps works.

The cell step (gate arithmetic, forward and backward) is written once per cell kind and used by
both the layer op and the cell modules (a cell is a sequence of one step). Sigmoids are computed
as σ(u) = ½·tanh(½u) + ½ so that all gates of a step take one tanh call: the σ rows of the
weights are pre-scaled by ½ before the loop.

Variable lengths: rows are sorted by decreasing length so that step t updates only the first
n_t rows (PyTorch's packed `batch_sizes`); a finished row's state stays at its last real step,
its padded outputs are 0 and it receives no gradient there. The reverse direction reverses each
sequence within its own length, runs forward, and reverses back.
"""
from ..autograd import Function, Tensor
from ..backend import array_module
from .shape import unsqueeze


# ------------------------------------------------------------------ the time-loop schedule
class _Schedule:
    """Maps the padded (T, N, ·) batch onto the order the time loop runs in, and back.

    Both maps (sort by length, per-sequence reversal) permute the (t, n) positions, so the way
    back is a scatter with the same index."""

    def __init__(self, xp, T, N, lengths, reverse):
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


def _sigmoid_affine(xp, kinds, H, dtype):
    """Per-column (scale, offset) so that act = scale·tanh(scale·u) + offset gives σ(u) for the
    blocks marked 's' and tanh(u) for those marked 't' (σ(u) = ½tanh(½u) + ½)."""
    scale = xp.repeat(xp.asarray([0.5 if k == "s" else 1.0 for k in kinds], dtype), H)
    offset = xp.repeat(xp.asarray([0.5 if k == "s" else 0.0 for k in kinds], dtype), H)
    return scale, offset


def _project(x, w_ih, b, scale=None):
    """x W_ihᵀ + b for all T·N rows at once: (T, N, I) → (T, N, G·H), σ columns pre-scaled."""
    T, N, I = x.shape
    w = w_ih if scale is None else w_ih * scale[:, None]
    a = (x.reshape(T * N, I) @ w.T).reshape(T, N, w.shape[0])        # (T, N, G·H)
    if b is not None:
        a += b if scale is None else b * scale
    return a


def _input_grads(fn, sched, xl, w_ih, d_x, d_h, h_prev, ix, iw, ib_ih, ib_hh):
    """After the loop: one matmul each for dx, dW_ih = Σ δᵀx, dW_hh = Σ δᵀh_{t−1} and the biases.

    d_x, d_h: (T, N, G·H) gradients of the input and the hidden pre-activations."""
    T, N, I = xl.shape
    need = fn.needs_input_grad
    gx = gw_ih = gw_hh = gb_ih = gb_hh = None
    dx2 = d_x.reshape(T * N, -1)                                         # (T·N, G·H)
    dh2 = dx2 if d_h is d_x else d_h.reshape(T * N, -1)
    if need[ix]:
        gx = sched.from_loop((dx2 @ w_ih).reshape(T, N, I))
    if need[iw]:
        gw_ih = dx2.T @ xl.reshape(T * N, I)
    if need[iw + 1]:
        gw_hh = dh2.T @ h_prev.reshape(T * N, -1)
    if need[ib_ih]:
        gb_ih = dx2.sum(axis=0)
    if need[ib_hh]:
        gb_hh = gb_ih if d_h is d_x and gb_ih is not None else dh2.sum(axis=0)
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


# ------------------------------------------------------------------ Elman RNN
# h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)   (deck 004, "the vanilla RNN model")
def rnn_cell_forward(a, h, w_hh_t, h_out, buf, relu):
    """One step: a (n, H) input pre-activation, h (n, H) → h_out = act(a + h W_hhᵀ)."""
    xp = array_module(a)
    xp.matmul(h, w_hh_t, out=buf)
    a += buf
    if relu:
        xp.maximum(a, 0, out=h_out)
    else:
        xp.tanh(a, out=h_out)


def rnn_cell_backward(dout, dh, d_act, w_hh, da):
    """One step back: dh (n, H) enters as ∂L/∂h_t from step t+1 and leaves as ∂L/∂h_{t−1}."""
    xp = array_module(dh)
    dh += dout                                   # + ∂L/∂ŷ_t ∂ŷ_t/∂h_t
    xp.multiply(dh, d_act, out=da)               # δ_t = ∂L/∂h_t ⊙ act'
    xp.matmul(da, w_hh, out=dh)                  # ∂h_t/∂h_{t−1}: δ_t W_hh


class RNNSequence(Function):
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse, relu):
        xp = array_module(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        self.sched = sched = _Schedule(xp, T, N, lengths, reverse)
        self.relu, self.w_ih, self.w_hh = relu, w_ih, w_hh
        self.xl = xl = sched.to_loop(x)
        b = None if b_ih is None else b_ih + b_hh
        a = _project(xl, w_ih, b)                                        # (T, N, H)
        hs = sched.alloc(xp, (T + 1, N, H), x.dtype)                     # h_0 … h_T
        hs[0] = 0 if h0 is None else sched.state_to_loop(h0)
        w_hh_t, buf = xp.ascontiguousarray(w_hh.T), xp.empty((N, H), x.dtype)
        for t, n in enumerate(sched.sizes):
            rnn_cell_forward(a[t, :n], hs[t, :n], w_hh_t, hs[t + 1, :n], buf[:n], relu)
        self.hs = hs
        return sched.from_loop(hs[1:]), sched.last(hs)

    def backward(self, dout, dh_n):
        xp, sched, hs = array_module(dout), self.sched, self.hs
        d_act = (hs[1:] > 0).astype(hs.dtype) if self.relu else 1 - hs[1:] * hs[1:]
        dout = sched.to_loop(dout)
        dh = xp.array(sched.state_to_loop(dh_n), copy=True)
        da = sched.alloc(xp, hs[1:].shape, hs.dtype)
        for t in reversed(range(sched.T)):
            n = sched.sizes[t]
            rnn_cell_backward(dout[t, :n], dh[:n], d_act[t, :n], self.w_hh, da[t, :n])
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _input_grads(self, sched, self.xl, self.w_ih, da, da,
                                                      hs[:-1], 0, 2, 4, 5)
        gh0 = sched.state_from_loop(dh) if self.needs_input_grad[1] else None
        return gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh


# ------------------------------------------------------------------ LSTM
class _LSTMGates:
    """Column layout of the LSTM gate blocks and their activation constants.

    Standard (PyTorch, deck 004): blocks (i, f, g, o). Coupled (deck 004 "only memorize new if
    forgetting old"): blocks (f, g, o) and i = 1 − f. Peepholes (Gers & Schmidhuber 2000):
    i, f see c_{t−1} and o sees c_t through diagonal weights (H,)."""

    def __init__(self, xp, H, dtype, coupled, peep):
        self.H, self.coupled = H, coupled
        kinds = "sts" if coupled else "ssts"
        self.G = len(kinds)
        self.f = slice(0, H) if coupled else slice(H, 2 * H)
        self.g = slice(H, 2 * H) if coupled else slice(2 * H, 3 * H)
        self.scale, self.offset = _sigmoid_affine(xp, kinds, H, dtype)
        self.peep = peep                                 # (w_ci or None, w_cf, w_co) or None
        if peep is not None:
            self.peep_half = tuple(None if w is None else 0.5 * w for w in peep)
        # the o block is activated with the others unless it waits for c_t (peepholes)
        self.n_joint = j = (self.G - 1) * H if peep is not None else self.G * H
        self.scale_joint, self.offset_joint = self.scale[:j], self.offset[:j]


# c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)   (deck 004, "LSTM in detail")
def lstm_cell_forward(a, h, c, w_hh_t, c_out, tanh_c, h_out, buf, gates):
    """One step in place. a: (n, G·H) scaled input pre-activations, overwritten by the gate
    activations; h, c: (n, H) previous state; writes c_t, tanh(c_t), h_t. buf: (n, G·H)."""
    xp, H, j = array_module(a), gates.H, gates.n_joint
    xp.matmul(h, w_hh_t, out=buf)
    a += buf
    if gates.peep is not None:                   # i, f peep at c_{t−1}
        w_ci, w_cf, _ = gates.peep_half
        a[:, gates.f] += w_cf * c
        if w_ci is not None:
            a[:, :H] += w_ci * c
    u = a[:, :j]
    xp.tanh(u, out=u)
    u *= gates.scale_joint
    u += gates.offset_joint
    f, g = a[:, gates.f], a[:, gates.g]
    if gates.coupled:                            # c_t = f c_{t−1} + (1 − f) g = g + f (c_{t−1} − g)
        xp.subtract(c, g, out=c_out)
        c_out *= f
        c_out += g
    else:
        xp.multiply(f, c, out=c_out)
        xp.multiply(a[:, :H], g, out=tanh_c)
        c_out += tanh_c
    o = a[:, -H:]
    if gates.peep is not None:                   # o peeps at c_t
        o += gates.peep_half[2] * c_out
        xp.tanh(o, out=o)
        o *= 0.5
        o += 0.5
    xp.tanh(c_out, out=tanh_c)
    xp.multiply(o, tanh_c, out=h_out)


def lstm_cell_backward(dout, dh, dc, k, act, c_prev, tanh_c, d_act, w_hh, da, buf, gates):
    """One step back in place. dh, dc (n, H) enter as ∂L/∂h_t, ∂L/∂c_t from step t+1 and leave
    as ∂L/∂h_{t−1}, ∂L/∂c_{t−1}; da (n, G·H) receives δ_t, the pre-activation gradients.
    act (n, G·H): the gate activations; k = o ⊙ (1 − tanh²c_t); d_act = act'."""
    xp, H = array_module(dh), gates.H
    dh += dout                                   # + ∂L/∂ŷ_t ∂ŷ_t/∂h_t
    do = da[:, -H:]
    xp.multiply(dh, tanh_c, out=do)              # ∂h/∂o = tanh(c_t)
    xp.multiply(dh, k, out=buf)
    dc += buf                                    # ∂h/∂c_t = o (1 − tanh²c_t)
    if gates.peep is not None:
        do *= d_act[:, -H:]
        dc += do * gates.peep[2]                 # o peeps at c_t
    f, g = act[:, gates.f], act[:, gates.g]
    if gates.coupled:                            # c_t = f c_{t−1} + (1 − f) g
        df, dg = da[:, :H], da[:, H:2 * H]
        xp.subtract(c_prev, g, out=df)
        df *= dc
        xp.subtract(1, f, out=dg)
        dg *= dc
    else:                                        # [di, df, dg] = dc ⊙ [g, c_{t−1}, i]
        xp.multiply(dc, g, out=da[:, :H])
        xp.multiply(dc, c_prev, out=da[:, H:2 * H])
        xp.multiply(dc, act[:, :H], out=da[:, 2 * H:3 * H])
    if gates.peep is not None:
        da[:, :-H] *= d_act[:, :-H]
        dc *= f
        w_ci, w_cf, _ = gates.peep
        dc += da[:, gates.f] * w_cf              # f (and i) peep at c_{t−1}
        if w_ci is not None:
            dc += da[:, :H] * w_ci
    else:
        da *= d_act
        dc *= f                                  # ∂c_t/∂c_{t−1} = f
    xp.matmul(da, w_hh, out=dh)                  # ∂L/∂h_{t−1} = δ_t W_hh


class LSTMSequence(Function):
    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co, lengths, reverse,
                coupled):
        xp = array_module(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        peep = None if w_cf is None else (w_ci, w_cf, w_co)
        self.gates = gates = _LSTMGates(xp, H, x.dtype, coupled, peep)
        self.sched = sched = _Schedule(xp, T, N, lengths, reverse)
        self.w_ih, self.w_hh = w_ih, w_hh
        self.xl = xl = sched.to_loop(x)
        b = None if b_ih is None else b_ih + b_hh
        acts = _project(xl, w_ih, b, gates.scale)                        # (T, N, G·H)
        hs = sched.alloc(xp, (T + 1, N, H), x.dtype)                     # h_0 … h_T
        cs = sched.alloc(xp, (T + 1, N, H), x.dtype)                     # c_0 … c_T
        tanh_c = sched.alloc(xp, (T, N, H), x.dtype)
        hs[0] = 0 if h0 is None else sched.state_to_loop(h0)
        cs[0] = 0 if c0 is None else sched.state_to_loop(c0)
        w_hh_t = xp.ascontiguousarray((w_hh * gates.scale[:, None]).T)  # (H, G·H), C order: faster
        buf = xp.empty((N, gates.G * H), x.dtype)
        for t, n in enumerate(sched.sizes):
            lstm_cell_forward(acts[t, :n], hs[t, :n], cs[t, :n], w_hh_t, cs[t + 1, :n],
                              tanh_c[t, :n], hs[t + 1, :n], buf[:n], gates)
        self.acts, self.hs, self.cs, self.tanh_c = acts, hs, cs, tanh_c
        return sched.from_loop(hs[1:]), sched.last(hs), sched.last(cs)

    def backward(self, dout, dh_n, dc_n):
        xp, sched, gates = array_module(dout), self.sched, self.gates
        acts, cs, tanh_c, H = self.acts, self.cs, self.tanh_c, gates.H
        # everything off the recurrent path, for all steps at once
        # (in place where possible: fresh temporaries of this size cost page faults)
        d_act = 1 - acts
        d_act *= acts                                                    # σ' = σ(1 − σ)
        dg = d_act[..., gates.g]
        xp.multiply(acts[..., gates.g], acts[..., gates.g], out=dg)
        xp.subtract(1, dg, out=dg)                                       # tanh' = 1 − tanh²
        k = tanh_c * tanh_c
        xp.subtract(1, k, out=k)
        k *= acts[..., -H:]                                              # o (1 − tanh²c_t)
        T, N = acts.shape[:2]
        dout = sched.to_loop(dout)
        dh = xp.array(sched.state_to_loop(dh_n), copy=True)
        dc = xp.array(sched.state_to_loop(dc_n), copy=True)
        da = sched.alloc(xp, acts.shape, acts.dtype)
        buf = xp.empty((N, H), acts.dtype)
        for t in reversed(range(T)):
            n = sched.sizes[t]
            lstm_cell_backward(dout[t, :n], dh[:n], dc[:n], k[t, :n], acts[t, :n], cs[t, :n],
                               tanh_c[t, :n], d_act[t, :n], self.w_hh, da[t, :n], buf[:n], gates)
        grads = _input_grads(self, sched, self.xl, self.w_ih, da, da, self.hs[:-1], 0, 3, 5, 6)
        need = self.needs_input_grad
        gh0 = sched.state_from_loop(dh) if need[1] else None
        gc0 = sched.state_from_loop(dc) if need[2] else None
        g_peep = [None, None, None]
        if gates.peep is not None:                # Σ_t,n δ ⊙ c for each diagonal weight
            if need[7]:
                g_peep[0] = (da[..., :H] * cs[:-1]).sum(axis=(0, 1))
            if need[8]:
                g_peep[1] = (da[..., gates.f] * cs[:-1]).sum(axis=(0, 1))
            if need[9]:
                g_peep[2] = (da[..., -H:] * cs[1:]).sum(axis=(0, 1))
        gx, gw_ih, gw_hh, gb_ih, gb_hh = grads
        return (gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh, *g_peep)


# ------------------------------------------------------------------ GRU
# r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});
# n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));
# h' = (1 − z) ⊙ n + z ⊙ h   (Cho et al. 2014 as PyTorch writes it)
def gru_cell_forward(a, h, w_hh_t, b_hh, hg, h_out, buf):
    """One step in place. a: (n, 3H) input pre-activations (r, z rows scaled by ½), overwritten
    by [r, z, n]; hg (n, 3H) receives h W_hhᵀ + b_hh, its r, z columns scaled by ½ (kept:
    backward reads the unscaled W_hn h + b_hn)."""
    xp = array_module(a)
    H = h.shape[1]
    xp.matmul(h, w_hh_t, out=hg)
    if b_hh is not None:
        hg += b_hh
    rz = a[:, :2 * H]
    rz += hg[:, :2 * H]
    xp.tanh(rz, out=rz)
    rz *= 0.5
    rz += 0.5
    r, z, nn = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
    xp.multiply(r, hg[:, 2 * H:], out=buf)
    nn += buf
    xp.tanh(nn, out=nn)
    xp.subtract(h, nn, out=h_out)                # h' = n + z (h − n)
    h_out *= z
    h_out += nn


def gru_cell_backward(dout, dh, q_n, q_r, q_z, r, z, w_hh, dn, dhg, buf):
    """One step back in place. dh (n, H) enters as ∂L/∂h_t and leaves as ∂L/∂h_{t−1};
    dhg (n, 3H) receives the gradient of h W_hhᵀ + b_hh, dn (n, H) that of n's input part.
    q_n = (1 − z)(1 − n²), q_r = (W_hn h + b_hn) r (1 − r), q_z = (h_{t−1} − n) z (1 − z)."""
    xp = array_module(dh)
    H = dh.shape[1]
    dh += dout                                   # + ∂L/∂ŷ_t ∂ŷ_t/∂h_t
    xp.multiply(dh, q_n, out=dn)                 # through n
    xp.multiply(dn, r, out=dhg[:, 2 * H:])       # through r ⊙ (W_hn h + b_hn)
    xp.multiply(dn, q_r, out=dhg[:, :H])         # through r
    xp.multiply(dh, q_z, out=dhg[:, H:2 * H])    # through z
    xp.matmul(dhg, w_hh, out=buf)
    dh *= z                                      # ∂h_t/∂h_{t−1} = z + (…) W_hh
    dh += buf


class GRUSequence(Function):
    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
        xp = array_module(x)
        T, N, _ = x.shape
        H = w_hh.shape[1]
        self.sched = sched = _Schedule(xp, T, N, lengths, reverse)
        self.w_ih, self.w_hh = w_ih, w_hh
        self.xl = xl = sched.to_loop(x)
        scale, _ = _sigmoid_affine(xp, "sst", H, x.dtype)
        acts = _project(xl, w_ih, b_ih, scale)                           # (T, N, 3H)
        hg = sched.alloc(xp, (T, N, 3 * H), x.dtype)
        hs = sched.alloc(xp, (T + 1, N, H), x.dtype)
        hs[0] = 0 if h0 is None else sched.state_to_loop(h0)
        w_hh_t = xp.ascontiguousarray((w_hh * scale[:, None]).T)        # (H, 3H)
        b = None if b_hh is None else b_hh * scale
        buf = xp.empty((N, H), x.dtype)
        for t, n in enumerate(sched.sizes):
            gru_cell_forward(acts[t, :n], hs[t, :n], w_hh_t, b, hg[t, :n], hs[t + 1, :n], buf[:n])
        self.acts, self.hg, self.hs = acts, hg, hs
        return sched.from_loop(hs[1:]), sched.last(hs)

    def backward(self, dout, dh_n):
        xp, sched, acts, hs = array_module(dout), self.sched, self.acts, self.hs
        H = hs.shape[2]
        r, z, nn = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:]
        q_n = nn * nn                                    # (1 − z)(1 − n²), in place
        xp.subtract(1, q_n, out=q_n)
        q_n -= q_n * z
        q_r = 1 - r                                      # (W_hn h + b_hn) r (1 − r)
        q_r *= r
        q_r *= self.hg[..., 2 * H:]
        q_z = 1 - z                                      # (h_{t−1} − n) z (1 − z)
        q_z *= z
        q_z *= hs[:-1] - nn
        dout = sched.to_loop(dout)
        dh = xp.array(sched.state_to_loop(dh_n), copy=True)
        T, N = acts.shape[:2]
        dhg = sched.alloc(xp, (T, N, 3 * H), acts.dtype)
        dx = sched.alloc(xp, (T, N, 3 * H), acts.dtype)
        buf = xp.empty((N, H), acts.dtype)
        for t in reversed(range(T)):
            n = sched.sizes[t]
            gru_cell_backward(dout[t, :n], dh[:n], q_n[t, :n], q_r[t, :n], q_z[t, :n], r[t, :n],
                              z[t, :n], self.w_hh, dx[t, :n, 2 * H:], dhg[t, :n], buf[:n])
        dx[..., :2 * H] = dhg[..., :2 * H]                # r, z see x and h the same way
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _input_grads(self, sched, self.xl, self.w_ih, dx, dhg,
                                                      hs[:-1], 0, 2, 4, 5)
        gh0 = sched.state_from_loop(dh) if self.needs_input_grad[1] else None
        return gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh


# ------------------------------------------------------------------ public functions
def check_lengths(op, lengths, T, N):
    """`lengths` (1-D ints: a Tensor, array or list) → int64 array, checked against (T, N)."""
    from ..backend import np  # noqa: PLC0415  (validation, not a kernel)
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
    return RNNSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reverse=reverse,
                             relu=nonlinearity == "relu")


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
    return LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co,
                              lengths=lengths, reverse=reverse, coupled=coupled)


def gru_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, lengths=None, reverse=False):
    """One GRU layer over a sequence: x (T, N, I), h0 (N, H) or None → (output (T, N, H),
    h_n (N, H)). Gate blocks (r, z, n), PyTorch's equations."""
    H = _check_layer("gru", x, w_ih, w_hh, 3)
    _check_state("gru", "h0", h0, x.shape[1], H)
    if lengths is not None:
        lengths = check_lengths("gru", lengths, *x.shape[:2])
    return GRUSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reverse=reverse)


# A cell is a sequence of one step: the same op, the same gate arithmetic.
def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); x (N, I), h (N, H) or None → (N, H)."""
    return rnn_layer(unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh, nonlinearity)[1]


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None, peephole=None, coupled=False):
    """One LSTM step: x (N, I), h, c (N, H) or None → (h', c')."""
    _, h1, c1 = lstm_layer(unsqueeze(x, 0), h, c, w_ih, w_hh, b_ih, b_hh, peephole, coupled)
    return h1, c1


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step: x (N, I), h (N, H) or None → h' (N, H)."""
    return gru_layer(unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh)[1]

