"""The LSTM cell of the sequence skeleton (ops/recurrent.py) with its gate arithmetic compiled:
plain, peephole (Gers & Schmidhuber 2000) or coupled (deck 004), the equations of
recurrent_cells.LSTMCellEq (the NumPy reference, which the tests compare with this one); and
PyTorch's GRU with its whole loop compiled by the same rule (FusedGRUCell, against GRUCellEq).

On NumPy arrays (the plan's rule: COMPILED_LOOP and a cblas GEMM in NumPy's BLAS for the
dtype, kernels/blas.py) the whole time loop is one compiled call each way
(kernels/lstm_loop.py): per step the GEMMs b + x_t W_ihᵀ and h_{t−1} W_hhᵀ, then the gates, c_t
and h_t in one pass; back, δ_t and ∂L/∂c_{t−1} in one pass, then the GEMMs δ_t W_hh and δ_t W_ih.
After it, the skeleton's one GEMM each for dW_ih = Σ δᵀx and dW_hh = Σ δᵀh_{t−1}. Otherwise
(CuPy, no such GEMM) the same kernels run one Python-level step at a time, around them the
skeleton's GEMMs: the input projection of every step before the loop, dx after it.

Saved for backward: the gate activations (T, N, G·H), c and tanh(c) (T, N, H) beside the
skeleton's h, all freed by the autograd engine as soon as this backward has returned (not
before: a retained graph runs it again); backward adds δ (T, N, G·H) alone, where the NumPy
cell also builds the derivatives σ', tanh' (T, N, G·H) and o(1 − tanh²c) (T, N, H).
"""
from ..backend import array_module, kernel, np
from .recurrent_cells import Cell, Grads, GRUCellEq, project

# The whole time loop, forward and back, as one compiled call on NumPy arrays
# (kernels/lstm_loop.py: each step's GEMMs made by NumPy's OpenBLAS from inside the loop);
# False: one Python-level step at a time (this cell's step / step_back), the reference the
# tests compare it with. W3 (T 64, batch 32, hidden 128), CPU ms at one thread, forward /
# backward of the layer: 4.9 / 10.5 against 6.0 / 10.9 step by step (PyTorch 5.1 / 9.3;
# benchmarks/RESULTS.md). Where NumPy's BLAS exports no cblas GEMM, the steps run one by one.
COMPILED_LOOP = True
# A step's GEMM is cut into calls of at most this many multiply-adds (if that is ≥ 8 rows):
# OpenBLAS (0.3.31, x86-64) gives products up to M·N·K = 10⁶ to its small-matrix kernels,
# and on this machine a (12, 128)·(128, 512) product ran at 1.27 µs per row, a (16, …) one at
# 2.1 (benchmarks/RESULTS.md). 0 turns the cutting off.
SMALL_GEMM = 10 ** 6


def _gemm_rows(b):
    """The most rows of one GEMM call by b under SMALL_GEMM; 0 (no cut) below 8 rows."""
    rows = SMALL_GEMM // b.size
    return rows if rows >= 8 else 0


def step_matmul(a, b, out):
    """out = a @ b, in even row blocks of at most SMALL_GEMM multiply-adds, where that limit
    allows 8 rows or more (else one call)."""
    xp, n = array_module(a), a.shape[0]
    rows = SMALL_GEMM // b.size
    if rows < 8 or n <= rows:
        xp.matmul(a, b, out=out)
        return
    parts = -(-n // rows)
    bounds = [n * i // parts for i in range(parts + 1)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        xp.matmul(a[lo:hi], b, out=out[lo:hi])


# c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)   (deck 004, "LSTM in detail")
class FusedLSTMCell(Cell):
    """The LSTM cell on the compiled kernels lstm_gates_forward / lstm_gates_backward."""
    states, params = ("h", "c"), ("w_ci", "w_cf", "w_co")

    def __init__(self, coupled=False):
        self.coupled = coupled

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        T, N, _ = xl.shape
        H, dt = w_hh.shape[1], xl.dtype
        self.H = H
        b = None if b_ih is None else b_ih + b_hh
        self.gemm = kernel("blas_gemm", xl)(dt) if COMPILED_LOOP and xp is np else None
        self.loop = self.compiled = self.gemm is not None
        if self.loop:                                          # projected inside the loop
            self.acts = sched.alloc(xp, (T, N, w_hh.shape[0]), dt)
            self.xs = xp.ascontiguousarray(xl)
            self.w_ih = xp.ascontiguousarray(w_ih)             # (G·H, I): backward's
            self.w_ih_t = xp.ascontiguousarray(w_ih.T)         # (I, G·H)
            self.bias = xp.zeros(w_hh.shape[0], dt) if b is None else xp.ascontiguousarray(b)
            self.sizes = np.asarray(sched.sizes, np.int64)
        else:
            self.acts = project(xl, w_ih, b)                  # (T, N, G·H)
        self.hs, self.cs, self.w_hh = S["h"], S["c"], xp.ascontiguousarray(w_hh)
        self.tanh_c = sched.alloc(xp, (T, N, H), dt)
        self.w_hh_t = xp.ascontiguousarray(w_hh.T)           # (H, G·H): the faster GEMM
        self.hw = xp.empty((N, w_hh.shape[0]), dt)
        none = xp.empty(0, dt)                                # "no such peephole"
        self.peep = tuple(none if w is None else xp.ascontiguousarray(w) for w in extra)
        self.has_peep = extra[1] is not None
        self.approx = bool(dt == xp.float32)
        self.forward_kernel = kernel("lstm_forward_loop" if self.loop else "lstm_gates_forward",
                                     xl)

    def run(self, sizes, lo, hi):
        """All steps in one compiled call (`loop`: COMPILED_LOOP, NumPy arrays and a BLAS
        the kernel can call), else step by step."""
        if not self.loop:
            super().run(sizes, lo, hi)
            return
        self.forward_kernel(self.gemm, self.xs, self.w_ih_t, self.bias, self.acts, self.hs,
                            self.cs, self.tanh_c, self.w_hh_t, self.hw, *self.peep,
                            self.coupled, self.approx, self.sizes, lo, hi,
                            _gemm_rows(self.w_hh_t), _gemm_rows(self.w_ih_t))

    def step(self, t, rows):
        hw = self.hw[rows]
        step_matmul(self.hs[t, rows], self.w_hh_t, hw)
        self.forward_kernel(self.acts[t, rows], hw, self.cs[t, rows], *self.peep, self.coupled,
                            self.approx, self.cs[t + 1, rows], self.tanh_c[t, rows],
                            self.hs[t + 1, rows])

    def start_backward(self, xp, sched, need):
        self.da = sched.alloc(xp, self.acts.shape, self.acts.dtype)
        self.backward_kernel = kernel(
            "lstm_backward_loop" if self.loop else "lstm_gates_backward", self.da)
        if self.loop:                       # the compiled loop forms ∂L/∂x too, if needed
            shape = self.acts.shape[:2] + self.w_ih.shape[1:] if need["x"] else (0, 0, 0)
            self.dxs = sched.alloc(xp, shape, self.acts.dtype)
        self.hw = self.xs = None

    def run_back(self, sizes, lo, hi, dout, d_states):
        if not self.loop:
            super().run_back(sizes, lo, hi, dout, d_states)
            return
        dh, dc = d_states
        self.backward_kernel(self.gemm, dout, dh, dc, self.acts, self.cs, self.tanh_c,
                             self.w_hh, *self.peep, self.coupled, self.da, self.w_ih, self.dxs,
                             self.sizes, lo, hi, _gemm_rows(self.w_hh), _gemm_rows(self.w_ih))

    def step_back(self, t, rows, dout, dh, dc):
        da = self.da[t, rows]
        self.backward_kernel(dh, dout, dc, self.acts[t, rows], self.cs[t, rows],
                             self.tanh_c[t, rows], *self.peep, self.coupled, da)
        step_matmul(da, self.w_hh, dh)                    # ∂L/∂h_{t−1} = δ_t W_hh

    def gradients(self, need):
        """δ for both projections; Σ_t,n δ ⊙ c for each diagonal peephole weight."""
        da, cs, H = self.da, self.cs, self.H
        params = {}
        if self.has_peep:
            f, o = (slice(0, H), slice(2 * H, 3 * H)) if self.coupled else \
                (slice(H, 2 * H), slice(3 * H, 4 * H))
            if need["w_ci"]:
                params["w_ci"] = (da[..., :H] * cs[:-1]).sum(axis=(0, 1))
            if need["w_cf"]:
                params["w_cf"] = (da[..., f] * cs[:-1]).sum(axis=(0, 1))
            if need["w_co"]:
                params["w_co"] = (da[..., o] * cs[1:]).sum(axis=(0, 1))
        return Grads(d_x=da, d_h=da, params=params, x=self.dxs if self.loop else None)


# r, z = σ(a_{r,z} + hg_{r,z}), n = tanh(a_n + r ⊙ hg_n), h' = n + z ⊙ (h − n)   (Cho et al.
# 2014 as PyTorch writes it)
class FusedGRUCell(GRUCellEq):
    """PyTorch's GRU with its whole time loop compiled (kernels/gru.py), by the same rule as
    the LSTM's (`loop`); otherwise GRUCellEq, the NumPy cell it is tested against."""

    def start(self, xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S):
        self.gemm = kernel("blas_gemm", xl)(xl.dtype) if COMPILED_LOOP and xp is np else None
        self.loop = self.compiled = self.gemm is not None
        if not self.loop:
            super().start(xp, xl, w_ih, w_hh, b_ih, b_hh, extra, sched, S)
            return
        T, N, _ = xl.shape
        G3, dt = w_hh.shape[0], xl.dtype
        self.acts = sched.alloc(xp, (T, N, G3), dt)
        self.hgs = sched.alloc(xp, (T, N, G3), dt)                      # b_hh + h W_hhᵀ
        self.xs, self.hs = xp.ascontiguousarray(xl), S["h"]
        self.w_ih, self.w_hh = xp.ascontiguousarray(w_ih), xp.ascontiguousarray(w_hh)
        self.w_ih_t, self.w_hh_t = xp.ascontiguousarray(w_ih.T), xp.ascontiguousarray(w_hh.T)
        zero = xp.zeros(G3, dt)
        self.b_ih, self.b_hh = (zero if b is None else xp.ascontiguousarray(b)
                                for b in (b_ih, b_hh))
        self.sizes, self.approx = np.asarray(sched.sizes, np.int64), bool(dt == xp.float32)
        self.forward_kernel = kernel("gru_forward_loop", xl)

    def run(self, sizes, lo, hi):
        if not self.loop:
            super().run(sizes, lo, hi)
            return
        self.forward_kernel(self.gemm, self.xs, self.w_ih_t, self.b_ih, self.acts, self.hgs,
                            self.hs, self.w_hh_t, self.b_hh, self.approx, self.sizes, lo, hi,
                            _gemm_rows(self.w_hh_t), _gemm_rows(self.w_ih_t))

    def start_backward(self, xp, sched, need):
        if not self.loop:
            super().start_backward(xp, sched, need)
            return
        self.dx = sched.alloc(xp, self.acts.shape, self.acts.dtype)
        self.dhg = sched.alloc(xp, self.acts.shape, self.acts.dtype)
        shape = self.acts.shape[:2] + self.w_ih.shape[1:] if need["x"] else (0, 0, 0)
        self.dxs = sched.alloc(xp, shape, self.acts.dtype)
        self.backward_kernel = kernel("gru_backward_loop", self.dx)
        self.xs = None

    def run_back(self, sizes, lo, hi, dout, d_states):
        if not self.loop:
            super().run_back(sizes, lo, hi, dout, d_states)
            return
        self.backward_kernel(self.gemm, dout, d_states[0], self.acts, self.hgs, self.hs,
                             self.w_hh, self.dx, self.dhg, self.w_ih, self.dxs, self.sizes, lo,
                             hi, _gemm_rows(self.w_hh), _gemm_rows(self.w_ih))

    def gradients(self, need):
        if not self.loop:
            return super().gradients(need)
        return Grads(d_x=self.dx, d_h=self.dhg, x=self.dxs)
