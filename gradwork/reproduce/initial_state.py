"""A learned initial state (deck 004, "Initial hidden state", Hinton's slide: "it is better to
treat the initial states as learned parameters ... backpropagate through time all the way to
the initial states"). A sequence classifier whose label is set by the first step: 8 tokens
from {0..3}, label x₁, the other 7 tokens distractors. Tanh RNN, LSTM and GRU
(hidden 16), each with h₀ (and c₀) = 0 and with h₀ (c₀) learned (`learn_initial_state`),
same seed, same initial weights, same batches; the difference is reported as measured."""
import time

from .. import nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed, np
from ..nn import functional as F
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import curves
from .sequence_training import RECURRENT

_KINDS, _T, _TOKENS, _HIDDEN = ("RNN", "LSTM", "GRU"), 8, 4, 16
_STATES = ("zero h0", "learned h0")


class SequenceClassifier(nn.Module):
    """(N, T, V) one-hot → (N, classes): RNN/LSTM/GRU (batch-first), Linear on the last h."""

    def __init__(self, kind, vocab, hidden, classes, learn_initial_state):
        super().__init__()
        self.body = RECURRENT[kind](vocab, hidden, batch_first=True,
                                    learn_initial_state=learn_initial_state)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.body(x)[0][:, -1])


def first_steps_batch(rng, n):
    """(one-hot x (n, T, 4) Tensor, labels (n,) int64): label = x₁ (the first token)."""
    tokens = rng.integers(0, _TOKENS, (n, _T))
    x = Tensor(np.eye(_TOKENS, dtype=np.float32)[tokens])
    return x, tokens[:, 0]


def _model(kind, learned, seed):
    """The same initial weights with and without h0: the learned model copies the zero
    model's weights and starts with h0 (c0) = 0, the zero model's state."""
    manual_seed(seed)
    zero = SequenceClassifier(kind, _TOKENS, _HIDDEN, _TOKENS, False)
    if not learned:
        return zero
    model = SequenceClassifier(kind, _TOKENS, _HIDDEN, _TOKENS, True)
    weights = dict(zero.named_parameters())
    for name, p in model.named_parameters():
        p._data[...] = weights[name]._data if name in weights else 0.0
    return model


def train_classifier(model, *, steps, lr, seed, batch_size=32, eval_every=25, n_test=1000):
    """Adam at `lr` on fresh batches; rows of step, train_loss, test_loss, test_acc."""
    rng, test_rng = np.random.default_rng(1000 + seed), np.random.default_rng(999_999)
    x_test, y_test = first_steps_batch(test_rng, n_test)
    opt = optim.Adam(model.parameters(), lr=lr)
    rows, total, count, start = [], 0.0, 0, time.perf_counter()
    for step in range(1, steps + 1):
        x, y = first_steps_batch(rng, batch_size)
        loss = F.cross_entropy(model(x), Tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total, count = total + float(loss.item()), count + 1
        if step % eval_every == 0 or step == steps:
            with no_grad():
                logits = model(x_test)
                test_loss = float(F.cross_entropy(logits, Tensor(y_test)).item())
            rows.append({"step": step, "train_loss": total / count, "test_loss": test_loss,
                         "test_acc": float((logits._data.argmax(axis=1) == y_test).mean()),
                         "seconds": round(time.perf_counter() - start, 2)})
            total, count = 0.0, 0
    return rows


def initial_state_experiment(ctx):
    steps, rows = (4 if ctx.quick else 500), []
    for seed in ctx.seeds:
        for kind in _KINDS:
            for state in _STATES:
                model = _model(kind, state == _STATES[1], seed)
                run = train_classifier(model, steps=steps, lr=1e-2, seed=seed,
                                       eval_every=max(steps // 24, 1))
                h0 = float(np.linalg.norm(model.body.h0._data)) if state == _STATES[1] else 0.0
                ctx.log(f"{kind}, {state}, seed {seed}: test loss {run[-1]['test_loss']:.4f}, "
                        f"acc {run[-1]['test_acc']:.3f}, ‖h0‖ {h0:.3f}")
                rows += [{"seed": seed, "model": kind, "initial_state": state, "h0_norm": h0,
                          **r} for r in run]
    return rows


def _final(rows, kind, state, seed):
    return [r for r in rows if r["model"] == kind and r["initial_state"] == state
            and r["seed"] == seed][-1]["test_loss"]


def decide_initial_state(rows):
    """Per model kind, compare the final test cross-entropy with zero and with learned h0 in
    each seed. Holds if the learned h0 is lower in every seed for every kind. Does not hold
    if, for some kind, the learned h0 is higher in every seed, or if no kind has it lower in
    every seed. Inconclusive otherwise (better for some kinds, mixed for the others)."""
    seeds, numbers, better, worse = sorted({r["seed"] for r in rows}), {}, [], []
    for kind in dict.fromkeys(r["model"] for r in rows):
        zero = [_final(rows, kind, _STATES[0], s) for s in seeds]
        learned = [_final(rows, kind, _STATES[1], s) for s in seeds]
        numbers[f"{kind}_zero"], numbers[f"{kind}_learned"] = float(np.mean(zero)), \
            float(np.mean(learned))
        better.append(all(a < z for a, z in zip(learned, zero)))
        worse.append(all(a > z for a, z in zip(learned, zero)))
    if all(better):
        return Verdict(HOLDS, numbers)
    if any(worse) or not any(better):
        return Verdict(DOES_NOT_HOLD, numbers, "a learned h0 was not lower in every seed for "
                       "any kind, or was higher in every seed for some kind")
    return Verdict(INCONCLUSIVE, numbers, "lower for some kinds, mixed over seeds for others")


def plot_initial_state(rows, path, ctx):
    panels = []
    for kind in dict.fromkeys(r["model"] for r in rows):
        series = []
        for state in _STATES:
            pts = [r for r in rows if r["model"] == kind and r["initial_state"] == state
                   and r["seed"] == ctx.seeds[0]]
            series.append((state, [r["step"] for r in pts], [r["test_loss"] for r in pts]))
        panels.append((kind, "step", "test cross-entropy", series, True))
    return curves(path, panels, "Zero vs learned initial state, label = x₁")


LEARNED_INITIAL_STATE = Claim(
    "learned_initial_state", "004_88eb7e677c5ff7c1.txt", "Initial hidden state",
    "It is better to treat the initial states as learned parameters than to fix them.",
    "deck 004 (Hinton's lecture slide)",
    "holds if, for each of a tanh RNN, an LSTM and a GRU (hidden 16), the final test "
    "cross-entropy with a learned h0 (c0) is lower than with h0 = 0 in every seed; does not "
    "hold if it is higher in every seed for some kind, or lower in every seed for none; "
    "task: 8 tokens of {0..3}, label x1 (the first); Adam lr 1e-2, batch 32, 500 steps, "
    "same initial weights and batches for both",
    initial_state_experiment, decide_initial_state, plot_initial_state,
    "≈ 1 min of CPU (3 seeds)", default_seeds=3)
