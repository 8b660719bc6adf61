"""What the sequence claims share: a recurrent or convolutional sequence regressor (the last
step's features → Linear), the adding problem's training loop (Adam, optional norm clipping,
one row every `eval_every` steps) and ‖∂L/∂h_t‖ for every t, measured by unrolling the
trained layer's weights in its cell so every h_t is a tensor of the graph."""
import math
import time

from .. import nn, optim
from ..autograd import Tensor, no_grad
from ..backend import np
from ..data import AddingProblem
from ..errors import ArgumentError, check_nonnegative

RECURRENT = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CELLS = {"RNN": nn.RNNCell, "LSTM": nn.LSTMCell, "GRU": nn.GRUCell}
VARIANCE_BASELINE = 1 / 6      # MSE of always predicting 1: Var(u₁ + u₂), u ~ U(0, 1)


def clipped_step(opt, loss, params, max_norm=1.0):
    """One update of the sequence claims' training loops: zero the gradients, backpropagate
    `loss`, clip their global norm at `max_norm` (Pascanu et al. 2013, Alg. 2), step."""
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(params, max_norm)
    opt.step()


class SequenceRegressor(nn.Module):
    """(N, T, I) → (N, out): an RNN/LSTM/GRU (batch-first) or a TCN, then a Linear layer on
    the last step's features."""

    def __init__(self, kind, input_size, hidden, out=1, tcn_levels=4, tcn_kernel=4):
        super().__init__()
        self.kind = kind
        if kind == "TCN":
            self.body = nn.TCN(input_size, [hidden] * tcn_levels, kernel_size=tcn_kernel,
                               dropout=0.0)
            reference_tcn_init(self.body)
        else:
            self.body = RECURRENT[kind](input_size, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out)

    def forward(self, x):
        if self.kind == "TCN":
            return self.head(self.body(x.transpose(1, 2))[:, :, -1])
        return self.head(self.body(x)[0][:, -1])


def reference_tcn_init(tcn):
    """Start `tcn` from the weights Bai et al.'s code (locuslab/TCN) actually trains from: its
    N(0, 0.01) is written into the weight-norm's recomputed weight and lost, so every dilated
    conv keeps PyTorch's default v ~ U(±1/√fan_in), with g = ‖v‖ (only the 1×1 downsample
    gets N(0, 0.01)). gradwork's TCN implements the N(0, 0.01) intent, with which the adding
    problem stayed at the baseline in 1,500 steps here."""
    for module in tcn.modules():
        if hasattr(module, "weight_v"):
            v = module.weight_v._data
            bound = 1.0 / math.sqrt(v[0].size)
            nn.init.uniform_(module.weight_v, -bound, bound)
            module.weight_g._data[...] = np.sqrt((v.astype(np.float64) ** 2).sum(
                axis=tuple(range(1, v.ndim)))).reshape(module.weight_g._data.shape)


def tcn_shape(seq_len):
    """(levels, kernel) of the smallest TCN whose receptive field 1 + 2(k−1)(2^L − 1) covers
    `seq_len` with k ≤ 8 (Bai et al. 2018 size TCNs to cover the sequence)."""
    for levels in range(1, 12):
        for kernel in range(2, 9):
            if 1 + 2 * (kernel - 1) * (2 ** levels - 1) >= seq_len:
                return levels, kernel
    raise ValueError(f"tcn_shape: seq_len {seq_len} is too long")


class PascanuTerm:
    """Adds λ ∂⁺Ω/∂W_hh (nn.pascanu_omega, Pascanu et al. 2013 eq. 9) of `model`'s one vanilla
    RNN to the gradients after each backward of the data loss: a forward hook keeps the RNN's
    output (and its gradient), from which Ω is computed."""

    def __init__(self, model, weight):
        rnns = [m for m in model.modules() if isinstance(m, nn.RNN)]
        if len(rnns) != 1:
            raise ArgumentError(f"train_adding: pascanu_omega needs a model with exactly one "
                                f"nn.RNN, got {len(rnns)}")
        self.rnn, self.weight, self.output = rnns[0], weight, None
        self.handle = self.rnn.register_forward_hook(self._keep)

    def _keep(self, module, args, output):
        if output[0].requires_grad:
            output[0].retain_grad()
            self.output = output[0]

    def backward(self):
        """Accumulate λ ∂⁺Ω into the gradients → Ω."""
        omega = nn.pascanu_omega(self.rnn, self.output, self.output.grad)
        (omega * self.weight).backward()
        return float(omega.item())


def train_adding(model, seq_len, *, steps, lr, seed, batch_size=32, clip=None,
                 eval_every=50, n_test=500, sgd=False, log=None, pascanu_omega=None):
    """Train `model` on fresh adding-problem batches (Adam, or plain SGD when `sgd`, at
    `lr`; norm clipping at `clip` when given, Pascanu et al. 2013 Algorithm 1) and return
    rows: step, train_mse (mean since the last row), test_mse on a fixed held-out set,
    max_grad_norm (largest pre-clipping ‖g‖ since the last row), diverged (a non-finite
    loss or gradient; training stops there). `pascanu_omega=λ` adds λ Ω (PascanuTerm) to
    the loss of the model's vanilla RNN, before clipping as the authors' code does, and
    the rows get omega (mean Ω since the last row)."""
    term = None if pascanu_omega is None else \
        PascanuTerm(model, check_nonnegative("train_adding", "pascanu_omega", pascanu_omega))
    try:
        return _train_adding(model, seq_len, steps, lr, seed, batch_size, clip, eval_every,
                             n_test, sgd, log, term)
    finally:
        if term is not None:
            term.handle.remove()


def _train_adding(model, seq_len, steps, lr, seed, batch_size, clip, eval_every, n_test, sgd,
                  log, term):
    train_set = AddingProblem(steps * batch_size, seq_len, seed=1000 + seed)
    x_test, y_test = AddingProblem(n_test, seq_len, seed=999_999).get_batch(np.arange(n_test))
    params = list(model.parameters())
    opt = optim.SGD(params, lr=lr) if sgd else optim.Adam(params, lr=lr)
    rows, total, count, start, top, omega = [], 0.0, 0, time.perf_counter(), 0.0, 0.0
    with np.errstate(over="ignore", invalid="ignore"):   # divergence is detected below
        for step in range(1, steps + 1):
            x, y = train_set.get_batch(np.arange((step - 1) * batch_size, step * batch_size))
            loss = ((model(x) - y) ** 2).mean()
            value = float(loss.item())
            diverged = not math.isfinite(value)
            if not diverged:
                opt.zero_grad()
                loss.backward()
                if term is not None:
                    omega += term.backward()
                norm = float(nn.utils.clip_grad_norm_(params, math.inf if clip is None else clip)
                             .item())
                top, diverged = max(top, norm), not math.isfinite(norm)
                opt.step()
                total, count = total + value, count + 1
            if diverged or step % eval_every == 0 or step == steps:
                with no_grad():
                    test = float(((model(x_test) - y_test) ** 2).mean().item())
                rows.append({"step": step, "train_mse": total / max(count, 1), "test_mse": test,
                             "max_grad_norm": top, "diverged": diverged or not math.isfinite(test),
                             "seconds": round(time.perf_counter() - start, 2)})
                if term is not None:
                    rows[-1]["omega"] = omega / max(count, 1)
                total, count, top, omega = 0.0, 0, 0.0, 0.0
                if log:
                    log(f"    step {step}: train {rows[-1]['train_mse']:.4f}, test {test:.4f}")
                if rows[-1]["diverged"]:
                    break
    return rows


def cell_like(layer, kind):
    """The layer-0 weights of a trained RNN/LSTM/GRU layer, in a cell of the same kind."""
    cell = CELLS[kind](layer.input_size, layer.hidden_size)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name)._data[...] = getattr(layer, name + "_l0")._data
    return cell


def gradient_norms(cell, x):
    """‖∂L/∂h_t‖ (mean over the batch) for t = 1..T, L = Σ_n v·h_T with a fixed random v:
    unroll `cell` over x (T, N, I), keep every h_t's gradient."""
    hs, state = [], None
    for t in range(x.shape[0]):
        state = cell(Tensor(x[t]), state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hs.append(h)
    v = np.random.default_rng(0).standard_normal(cell.hidden_size).astype(np.float32)
    (hs[-1] * Tensor(v)).sum().backward()
    return [float(np.linalg.norm(h.grad, axis=1).mean()) for h in hs]
