"""Recurrent cells: each supplies its gate equations, forward and backward, to the sequence
skeleton (ops/recurrent.py), which owns the time loop, the direction, the variable lengths, the
saved states and the BPTT accumulation.

A cell's interface (`Cell`): `states` names its recurrent states (h first: the output),
`params` its parameters beyond (w_ih, w_hh, b_ih, b_hh); `start` projects the inputs of all
steps at once and allocates what the steps keep; `step(t, rows)` advances the rows of the
slice `rows` from step t to t + 1, `run` all steps over a range of rows (by `step`, or by a
cell's own compiled loop); `start_backward` computes every per-step factor off the recurrent
path for all steps at once (`need`: which inputs need a gradient, by name); `step_back(t,
rows, dout, *d_states)` takes ∂L/∂state_t of those rows in place to ∂L/∂state_{t−1},
`run_back` all steps; `gradients(need)` fills the named slots of `Grads`. Steps on disjoint
row slices may run at once (in two threads): a cell writes only its rows of what it shares,
(N, ·) buffers included.

Sigmoids are σ(u) = ½·tanh(½u) + ½ so that all gates of a step take one tanh call: the σ rows
of the weights are pre-scaled by ½ before the loop.
"""
from dataclasses import dataclass, field

from ..backend import array_module


@dataclass
class Grads:
    """A cell's gradients, by name. d_x, d_h (T, N, G·H): gradients of the input and of the
    recurrent pre-activations, from which the skeleton forms dx, dW_ih, dW_hh and the biases
    with one matmul each; w_hh: dW_hh where the cell forms it itself (a recurrent input other
    than h_{t−1}); x: ∂L/∂x (T, N, I) in loop order where the cell forms it itself; params:
    the gradients of the cell's own parameters."""
    d_x: object
    d_h: object
    w_hh: object = None
    x: object = None
    params: dict = field(default_factory=dict)


class Cell:
    """The base of the cells: one recurrent state h, no extra parameters; its time loop is
    Python's (`compiled`: False), step by step."""
    states, params = ("h",), ()
    compiled = False

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        raise NotImplementedError

    def step(self, t, rows):
        raise NotImplementedError

    def run(self, sizes, lo, hi):
        """Steps 0 … T−1 over the rows [lo, hi) of those still running (the first sizes[t])."""
        for t, n in enumerate(sizes):
            if n <= lo:
                break                                                    # sizes decrease
            self.step(t, slice(lo, min(n, hi)))

    def start_backward(self, xp, sched, need):
        raise NotImplementedError

    def step_back(self, t, rows, dout, *d_states):
        raise NotImplementedError

    def run_back(self, sizes, lo, hi, dout, d_states):
        """Steps T−1 … 0 back over the same rows; d_states (N, H) each, taken in place from
        ∂L/∂state_T to ∂L/∂state_0."""
        for t in reversed(range(len(sizes))):
            rows = slice(lo, min(sizes[t], hi))
            if rows.stop > lo:
                self.step_back(t, rows, dout[t, rows], *(d[rows] for d in d_states))

    def gradients(self, need):
        raise NotImplementedError


def _sigmoid_affine(xp, kinds, H, dtype):
    """Per-column (scale, offset) so that act = scale·tanh(scale·u) + offset gives σ(u) for the
    blocks marked 's' and tanh(u) for those marked 't' (σ(u) = ½tanh(½u) + ½)."""
    scale = xp.repeat(xp.asarray([0.5 if k == "s" else 1.0 for k in kinds], dtype), H)
    offset = xp.repeat(xp.asarray([0.5 if k == "s" else 0.0 for k in kinds], dtype), H)
    return scale, offset


def project(x, w_ih, b, scale=None):
    """x W_ihᵀ + b for all T·N rows at once: (T, N, I) → (T, N, G·H), σ columns pre-scaled."""
    T, N, IN = x.shape
    w = w_ih if scale is None else w_ih * scale[:, None]
    a = (x.reshape(T * N, IN) @ w.T).reshape(T, N, w.shape[0])        # (T, N, G·H)
    if b is not None:
        a += b if scale is None else b * scale
    return a


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


class ElmanCell(Cell):
    """h_t = act(a_t + h_{t−1} W_hhᵀ), act = tanh or relu (Elman 1990)."""

    def __init__(self, relu=False):
        self.relu = relu

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        b = None if b_ih is None else b_ih + b_hh
        self.a, self.hs, self.w_hh = project(xl, w_ih, b), S["h"], w_hh      # a: (T, N, H)
        self.w_hh_t = xp.ascontiguousarray(w_hh.T)
        self.buf = xp.empty(self.hs.shape[1:], xl.dtype)

    def step(self, t, rows):
        rnn_cell_forward(self.a[t, rows], self.hs[t, rows], self.w_hh_t, self.hs[t + 1, rows],
                         self.buf[rows], self.relu)

    def start_backward(self, xp, sched, need):
        hs = self.hs
        self.d_act = (hs[1:] > 0).astype(hs.dtype) if self.relu else 1 - hs[1:] * hs[1:]
        self.da = sched.alloc(xp, hs[1:].shape, hs.dtype)

    def step_back(self, t, rows, dout, dh):
        rnn_cell_backward(dout, dh, self.d_act[t, rows], self.w_hh, self.da[t, rows])

    def gradients(self, need):
        return Grads(d_x=self.da, d_h=self.da)


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


class LSTMCellEq(Cell):
    """c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t), plain, peephole or coupled (_LSTMGates)."""
    states, params = ("h", "c"), ("w_ci", "w_cf", "w_co")

    def __init__(self, coupled=False):
        self.coupled = coupled

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        T, N, _ = xl.shape
        H = w_hh.shape[1]
        w_ci, w_cf, w_co = extra
        peep = None if w_cf is None else (w_ci, w_cf, w_co)
        self.gates = gates = _LSTMGates(xp, H, xl.dtype, self.coupled, peep)
        b = None if b_ih is None else b_ih + b_hh
        self.acts = project(xl, w_ih, b, gates.scale)                   # (T, N, G·H)
        self.hs, self.cs, self.w_hh = S["h"], S["c"], w_hh
        self.tanh_c = sched.alloc(xp, (T, N, H), xl.dtype)
        self.w_hh_t = xp.ascontiguousarray((w_hh * gates.scale[:, None]).T)  # (H, G·H): faster
        self.buf = xp.empty((N, gates.G * H), xl.dtype)

    def step(self, t, rows):
        lstm_cell_forward(self.acts[t, rows], self.hs[t, rows], self.cs[t, rows], self.w_hh_t,
                          self.cs[t + 1, rows], self.tanh_c[t, rows], self.hs[t + 1, rows],
                          self.buf[rows], self.gates)

    def start_backward(self, xp, sched, need):
        """Everything off the recurrent path, for all steps at once (in place where possible:
        fresh temporaries of this size cost page faults)."""
        gates, acts, H = self.gates, self.acts, self.gates.H
        d_act = 1 - acts
        d_act *= acts                                                    # σ' = σ(1 − σ)
        dg = d_act[..., gates.g]
        xp.multiply(acts[..., gates.g], acts[..., gates.g], out=dg)
        xp.subtract(1, dg, out=dg)                                       # tanh' = 1 − tanh²
        k = self.tanh_c * self.tanh_c
        xp.subtract(1, k, out=k)
        k *= acts[..., -H:]                                              # o (1 − tanh²c_t)
        self.d_act, self.k = d_act, k
        self.da = sched.alloc(xp, acts.shape, acts.dtype)
        self.buf = xp.empty(acts.shape[1:2] + (H,), acts.dtype)

    def step_back(self, t, rows, dout, dh, dc):
        lstm_cell_backward(dout, dh, dc, self.k[t, rows], self.acts[t, rows],
                           self.cs[t, rows], self.tanh_c[t, rows], self.d_act[t, rows],
                           self.w_hh, self.da[t, rows], self.buf[rows], self.gates)

    def gradients(self, need):
        """δ for both projections; Σ_t,n δ ⊙ c for each diagonal peephole weight."""
        da, cs, gates, H = self.da, self.cs, self.gates, self.gates.H
        params = {}
        if gates.peep is not None:
            if need["w_ci"]:
                params["w_ci"] = (da[..., :H] * cs[:-1]).sum(axis=(0, 1))
            if need["w_cf"]:
                params["w_cf"] = (da[..., gates.f] * cs[:-1]).sum(axis=(0, 1))
            if need["w_co"]:
                params["w_co"] = (da[..., -H:] * cs[1:]).sum(axis=(0, 1))
        return Grads(d_x=da, d_h=da, params=params)


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


class GRUCellEq(Cell):
    """PyTorch's GRU (reset_after=True): the reset gate scales W_hn h + b_hn."""

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        T, N, _ = xl.shape
        H = w_hh.shape[1]
        scale, _ = _sigmoid_affine(xp, "sst", H, xl.dtype)
        self.acts = project(xl, w_ih, b_ih, scale)                      # (T, N, 3H)
        self.hg = sched.alloc(xp, (T, N, 3 * H), xl.dtype)
        self.hs, self.w_hh = S["h"], w_hh
        self.w_hh_t = xp.ascontiguousarray((w_hh * scale[:, None]).T)   # (H, 3H)
        self.b = None if b_hh is None else b_hh * scale
        self.buf = xp.empty((N, H), xl.dtype)

    def step(self, t, rows):
        gru_cell_forward(self.acts[t, rows], self.hs[t, rows], self.w_hh_t, self.b,
                         self.hg[t, rows], self.hs[t + 1, rows], self.buf[rows])

    def start_backward(self, xp, sched, need):
        acts, hs = self.acts, self.hs
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
        self.q, self.r, self.z = (q_n, q_r, q_z), r, z
        self.dhg = sched.alloc(xp, acts.shape, acts.dtype)
        self.dx = sched.alloc(xp, acts.shape, acts.dtype)

    def step_back(self, t, rows, dout, dh):
        H = dh.shape[1]
        q_n, q_r, q_z = self.q
        gru_cell_backward(dout, dh, q_n[t, rows], q_r[t, rows], q_z[t, rows], self.r[t, rows],
                          self.z[t, rows], self.w_hh, self.dx[t, rows, 2 * H:], self.dhg[t, rows],
                          self.buf[rows])

    def gradients(self, need):
        H = self.hs.shape[2]
        self.dx[..., :2 * H] = self.dhg[..., :2 * H]     # r, z see x and h the same way
        return Grads(d_x=self.dx, d_h=self.dhg)


# r, z as above;  n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn);  h' = (1 − z) ⊙ n + z ⊙ h
# (Cho et al. 2014, eqs. 5–8: the reset gate applied before the matmul; deck 004's form)
def gru_rb_cell_forward(a, h, w_rz_t, w_n_t, u, h_out, buf, buf_h):
    """One step in place. a: (n, 3H) input pre-activations with both biases (r, z rows scaled
    by ½), overwritten by [r, z, n]; u (n, H) receives r ⊙ h_{t−1}. buf (n, 2H), buf_h (n, H)."""
    xp = array_module(a)
    H = h.shape[1]
    rz = a[:, :2 * H]
    xp.matmul(h, w_rz_t, out=buf)
    rz += buf
    xp.tanh(rz, out=rz)
    rz *= 0.5
    rz += 0.5
    r, z, nn = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
    xp.multiply(r, h, out=u)
    nn += xp.matmul(u, w_n_t, out=buf_h)
    xp.tanh(nn, out=nn)
    xp.subtract(h, nn, out=h_out)                # h' = n + z (h − n)
    h_out *= z
    h_out += nn


def gru_rb_cell_backward(dout, dh, q_n, q_r, q_z, r, z, w_rz, w_n, dhg, du, buf):
    """One step back in place. dh (n, H): ∂L/∂h_t in, ∂L/∂h_{t−1} out; dhg (n, 3H) receives
    the pre-activation gradients [dr, dz, dn]; du (n, H) that of u = r ⊙ h_{t−1}.
    q_n = (1 − z)(1 − n²), q_r = h_{t−1} r (1 − r), q_z = (h_{t−1} − n) z (1 − z)."""
    xp = array_module(dh)
    H = dh.shape[1]
    dh += dout                                   # + ∂L/∂ŷ_t ∂ŷ_t/∂h_t
    dn = dhg[:, 2 * H:]
    xp.multiply(dh, q_n, out=dn)                 # through n
    xp.matmul(dn, w_n, out=du)                   # through u = r ⊙ h
    xp.multiply(du, q_r, out=dhg[:, :H])         # through r
    xp.multiply(dh, q_z, out=dhg[:, H:2 * H])    # through z
    dh *= z                                      # ∂h_t/∂h_{t−1} = z + r ⊙ (…) + (…) W_h{r,z}
    xp.multiply(du, r, out=buf)
    dh += buf
    dh += xp.matmul(dhg[:, :2 * H], w_rz, out=buf)


class GRUResetBeforeCell(Cell):
    """The GRU of Cho et al. (2014) and deck 004 (reset_after=False): PyTorch's parameter
    names and layout, the reset gate applied to h before W_hn, so both biases fold into the
    input projection and dW_hn = Σ dnᵀ (r ⊙ h_{t−1})."""

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        T, N, _ = xl.shape
        H = w_hh.shape[1]
        scale, _ = _sigmoid_affine(xp, "sst", H, xl.dtype)
        b = None if b_ih is None else b_ih + b_hh
        self.acts = project(xl, w_ih, b, scale)                         # (T, N, 3H)
        self.us = sched.alloc(xp, (T, N, H), xl.dtype)                  # r ⊙ h_{t−1}
        self.hs, self.w_hh, self.H = S["h"], w_hh, H
        self.w_rz_t = xp.ascontiguousarray((w_hh[:2 * H] * scale[:2 * H, None]).T)  # (H, 2H)
        self.w_n_t = xp.ascontiguousarray(w_hh[2 * H:].T)                           # (H, H)
        self.buf, self.buf_h = xp.empty((N, 2 * H), xl.dtype), xp.empty((N, H), xl.dtype)

    def step(self, t, rows):
        gru_rb_cell_forward(self.acts[t, rows], self.hs[t, rows], self.w_rz_t, self.w_n_t,
                            self.us[t, rows], self.hs[t + 1, rows], self.buf[rows],
                            self.buf_h[rows])

    def start_backward(self, xp, sched, need):
        acts, hs, H = self.acts, self.hs, self.H
        r, z, nn = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:]
        q_n = 1 - nn * nn
        q_n -= q_n * z                                   # (1 − z)(1 − n²)
        q_r = (1 - r) * r * hs[:-1]                      # h_{t−1} r (1 − r)
        q_z = (1 - z) * z * (hs[:-1] - nn)               # (h_{t−1} − n) z (1 − z)
        self.q, self.r, self.z = (q_n, q_r, q_z), r, z
        self.dhg = sched.alloc(xp, acts.shape, acts.dtype)
        self.du = xp.empty(acts.shape[1:2] + (H,), acts.dtype)
        self.w_rz, self.w_n = self.w_hh[:2 * H], xp.ascontiguousarray(self.w_hh[2 * H:])

    def step_back(self, t, rows, dout, dh):
        q_n, q_r, q_z = self.q
        gru_rb_cell_backward(dout, dh, q_n[t, rows], q_r[t, rows], q_z[t, rows],
                             self.r[t, rows], self.z[t, rows], self.w_rz, self.w_n,
                             self.dhg[t, rows], self.du[rows], self.buf_h[rows])

    def gradients(self, need):
        H, dhg = self.H, self.dhg
        gw_hh = None
        if need["w_hh"]:
            T, N = dhg.shape[:2]
            d2 = dhg.reshape(T * N, 3 * H)
            gw_hh = array_module(d2).concatenate(
                [d2[:, :2 * H].T @ self.hs[:-1].reshape(T * N, H),
                 d2[:, 2 * H:].T @ self.us.reshape(T * N, H)])
        return Grads(d_x=dhg, d_h=dhg, w_hh=gw_hh)
