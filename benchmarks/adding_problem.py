"""The adding problem (Hochreiter & Schmidhuber 1997, experiment 4): an LSTM learns it, a
vanilla tanh RNN of the same width does not.

Each input step is a pair (value ~ U(0, 1), marker ∈ {0, 1}); exactly two steps are marked, one
in each half of the sequence, and the target is the sum of the two marked values. Predicting
the mean (1.0) gives MSE = Var(u₁ + u₂) = 2/12 ≈ 0.167, the baseline a model must beat by
carrying two numbers across up to `seq_len` steps (deck 004: vanishing gradients and the LSTM's
constant error carousel).

    python -m benchmarks.adding_problem [--seq-len 100] [--hidden 64] [--epochs 15]

prints both models' test MSE per epoch and the verdict (LSTM < 0.01, RNN near 0.167).
"""
import argparse
import time

import numpy as np

import gradwork as gw
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.nn.utils import clip_grad_norm_
from gradwork.optim import Adam

BASELINE = 2 / 12


def make_batch(rng, n, seq_len):
    """x (seq_len, n, 2) float32 of (value, marker) pairs, y (n,) the sum of the marked values."""
    values = rng.random((seq_len, n))
    first = rng.integers(0, seq_len // 2, n)
    second = rng.integers(seq_len // 2, seq_len, n)
    markers = np.zeros((seq_len, n))
    cols = np.arange(n)
    markers[first, cols] = markers[second, cols] = 1
    x = np.stack([values, markers], axis=-1).astype(np.float32)           # (T, N, 2)
    y = (values[first, cols] + values[second, cols]).astype(np.float32)   # (N,)
    return gw.tensor(x), gw.tensor(y)


class Adder(nn.Module):
    """A recurrent layer read out by a linear layer at the last step."""

    def __init__(self, cell, hidden):
        super().__init__()
        self.rnn = cell(2, hidden)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[-1]).reshape(-1)                               # (N,)


def run(seq_len=100, hidden=64, epochs=15, steps_per_epoch=150, batch=64, lr=1e-2, seed=0,
        log=print):
    """Train an LSTM and a tanh RNN side by side; returns their final test MSEs."""
    gw.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_test, y_test = make_batch(rng, 1000, seq_len)
    models = {"lstm": Adder(nn.LSTM, hidden), "rnn": Adder(nn.RNN, hidden)}
    opts = {k: Adam(m.parameters(), lr=lr) for k, m in models.items()}
    mse = {}
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        for _ in range(steps_per_epoch):
            x, y = make_batch(rng, batch, seq_len)
            for name, model in models.items():
                opts[name].zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                clip_grad_norm_(model.parameters(), 1.0)
                opts[name].step()
        with gw.no_grad():
            mse = {k: F.mse_loss(m(x_test), y_test).item() for k, m in models.items()}
        log(f"epoch {epoch:2d}: test MSE  LSTM {mse['lstm']:.4f}   RNN {mse['rnn']:.4f}   "
            f"(baseline {BASELINE:.3f}, {time.perf_counter() - t0:.1f} s)")
    return mse


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.adding_problem",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--steps-per-epoch", type=int, default=150)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args(argv)
    print(f"adding problem: T={a.seq_len}, hidden {a.hidden}, {a.epochs}×{a.steps_per_epoch} "
          f"steps of batch {a.batch}, Adam lr {a.lr}")
    mse = run(a.seq_len, a.hidden, a.epochs, a.steps_per_epoch, a.batch, a.lr, a.seed)
    solved, stuck = mse["lstm"] < 0.01, mse["rnn"] > 0.1
    lstm_verdict = "< 0.01: solved" if solved else "NOT solved"
    print(f"verdict: LSTM test MSE {mse['lstm']:.4f} ({lstm_verdict})"
          f"; tanh RNN {mse['rnn']:.4f} ({'near the baseline' if stuck else 'below the baseline'}"
          f" {BASELINE:.3f})")
    return 0 if solved and stuck else 1


if __name__ == "__main__":
    raise SystemExit(main())
