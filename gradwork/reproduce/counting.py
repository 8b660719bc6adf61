"""LSTM counts, GRU does not (deck 004; Weiss, Goldberg & Yahav 2018, "On the Practical
Computational Power of Finite Precision RNNs for Language Recognition", §5 and Fig. 1).

Next-character-set prediction on aⁿbⁿ: reading S aⁿ bⁿ, after S the next symbol is {a},
after each a {a, b}, after the j-th b {b} (j < n) or {$} (j = n). A string is accepted when
the predicted set (sigmoid > ½ per symbol) is right at every position. Trained on n ≤ N, a
net that counts (the LSTM's cell state can hold an unbounded count) keeps accepting far
beyond N; a GRU, whose state is a convex mix kept in (−1, 1), cannot count exactly."""
from .. import nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed, np
from ..nn import functional as F
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import _figure, _save
from .sequence_training import RECURRENT, cell_like

_S, _A, _B = 0, 1, 2           # input tokens; output symbols a, b, $ are columns 0, 1, 2
_HIDDEN = 10                   # Weiss et al.'s nets are this small


def anbn_example(n):
    """(tokens (2n+1,), targets (2n+1, 3)): S aⁿ bⁿ and the next-character sets."""
    tokens = np.array([_S] + [_A] * n + [_B] * n, np.int64)
    sets = np.zeros((2 * n + 1, 3), np.float32)
    sets[0, 0] = 1                          # after S: a
    sets[1:n + 1, :2] = 1                   # after an a: a or b
    sets[n + 1:2 * n, 1] = 1                # after the j-th b, j < n: b
    sets[2 * n, 2] = 1                      # after the n-th b: $
    return tokens, sets


class NextSetPredictor(nn.Module):
    """One-hot tokens → LSTM/GRU (batch-first) → Linear → 3 logits (a, b, $) per step."""

    def __init__(self, kind, hidden=_HIDDEN):
        super().__init__()
        self.kind, self.rnn, self.head = kind, RECURRENT[kind](3, hidden, batch_first=True), \
            nn.Linear(hidden, 3)

    def forward(self, tokens):
        return self.head(self.rnn(Tensor(np.eye(3, dtype=np.float32)[tokens]))[0])


def accepts(model, n):
    """Whether the predicted next-character sets are right at every position of S aⁿbⁿ."""
    tokens, sets = anbn_example(n)
    with no_grad():
        logits = model(tokens[None])._data[0]
    return bool(((logits > 0) == (sets > 0.5)).all())


def train_counter(model, max_n, steps, seed, batch_size=16, lr=1e-2):
    """Adam on batches of S aⁿbⁿ with one n ~ U{1..max_n} per batch; per-symbol BCE."""
    rng, opt = np.random.default_rng(seed), optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        tokens, sets = anbn_example(int(rng.integers(1, max_n + 1)))
        loss = F.binary_cross_entropy_with_logits(
            model(np.repeat(tokens[None], batch_size, 0)),
            Tensor(np.repeat(sets[None], batch_size, 0)))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()


def states_along(model, n):
    """The cell state c_t (LSTM) or hidden state h_t (GRU) at every position of S aⁿbⁿ."""
    cell = cell_like(model.rnn, model.kind)
    tokens, _ = anbn_example(n)
    out, state = [], None
    with no_grad():
        for tok in tokens:
            state = cell(Tensor(np.eye(3, dtype=np.float32)[[tok]]), state)
            out.append((state[1] if model.kind == "LSTM" else state)._data[0].copy())
    return np.array(out)


def _sizes(ctx):
    """(train max n, largest test n, steps)."""
    return (4, 12, 30) if ctx.quick else (20, 150, 2500)


def counting_experiment(ctx):
    max_n, test_n, steps = _sizes(ctx)
    rows = []
    for seed in ctx.seeds:
        for kind in ("LSTM", "GRU"):
            ctx.log(f"{kind}, seed {seed}: training on n ≤ {max_n}")
            manual_seed(seed)
            model = NextSetPredictor(kind)
            train_counter(model, max_n, steps, seed)
            ok = [accepts(model, n) for n in range(1, test_n + 1)]
            largest = next((n for n, a in enumerate(ok) if not a), test_n)
            ctx.log(f"  accepts every n ≤ {largest}")
            rows += [{"seed": seed, "model": kind, "kind": "acceptance", "n": n + 1,
                      "accepted": a, "train_max_n": max_n, "largest_n": largest}
                     for n, a in enumerate(ok)]
            states = states_along(model, 2 * max_n)
            rows += [{"seed": seed, "model": kind, "kind": "state", "n": 2 * max_n,
                      "position": t, **{f"unit{u}": float(v) for u, v in enumerate(s)}}
                     for t, s in enumerate(states)]
    return rows


def _largest(rows, kind, seed):
    return next(r for r in rows if r["model"] == kind and r["seed"] == seed
                and r["kind"] == "acceptance")["largest_n"]


def decide_counting(rows):
    """Holds if, in every seed, the LSTM accepts every n up to beyond its training range
    and up to a larger n than the GRU does. Does not hold if the GRU's largest accepted n is
    at least the LSTM's in every seed; inconclusive otherwise."""
    seeds, numbers, holds, contra = sorted({r["seed"] for r in rows}), {}, [], []
    train_max = rows[0]["train_max_n"]
    for s in seeds:
        lstm, gru = _largest(rows, "LSTM", s), _largest(rows, "GRU", s)
        numbers.update({f"seed{s}_lstm_largest_n": lstm, f"seed{s}_gru_largest_n": gru})
        holds.append(lstm > train_max and lstm > gru)
        contra.append(gru >= lstm)
    numbers["train_max_n"] = train_max
    if all(holds):
        return Verdict(HOLDS, numbers)
    if all(contra):
        return Verdict(DOES_NOT_HOLD, numbers, "the GRU generalised as far as the LSTM")
    return Verdict(INCONCLUSIVE, numbers, "the seeds disagree or the LSTM did not "
                   "generalise beyond its training range")


def plot_counting(rows, path, ctx):
    seed = ctx.seeds[0]
    fig = _figure(15, 3.8)
    axes = fig.subplots(1, 3)
    for kind in ("LSTM", "GRU"):
        pts = [r for r in rows if r["model"] == kind and r["seed"] == seed
               and r["kind"] == "acceptance"]
        axes[0].plot([r["n"] for r in pts], [int(r["accepted"]) for r in pts], marker="o",
                     markersize=2, label=f"{kind} (all n ≤ {pts[0]['largest_n']})")
    axes[0].axvline(rows[0]["train_max_n"], color="grey", ls="--", label="training max n")
    axes[0].set(title="accepted S aⁿbⁿ", xlabel="n", ylabel="accepted (1) or not (0)")
    axes[0].legend(fontsize=7)
    for ax, kind, what in ((axes[1], "LSTM", "cell state c_t"), (axes[2], "GRU",
                                                                 "hidden state h_t")):
        pts = [r for r in rows if r["model"] == kind and r["seed"] == seed
               and r["kind"] == "state"]
        for u in range(_HIDDEN):
            ax.plot([r["position"] for r in pts], [r[f"unit{u}"] for r in pts], lw=1)
        ax.set(title=f"{kind} {what}, n = {pts[0]['n']}", xlabel="position in S aⁿbⁿ",
               ylabel=what)
        ax.grid(alpha=0.3)
    fig.suptitle("aⁿbⁿ next-character-set prediction (Weiss, Goldberg & Yahav 2018)")
    return _save(fig, path)


LSTM_COUNTS = Claim(
    "lstm_counts", "004_88eb7e677c5ff7c1.txt",
    "On the Practical Computational Power of Finite Precision RNNs (Fig. 1)",
    "Trained on aⁿbⁿ with small n, an LSTM learns to count and keeps accepting much larger n; "
    "a GRU does not.",
    "Weiss, Goldberg & Yahav 2018, §5 and Fig. 1",
    "holds if, in every seed, the LSTM (hidden 10) accepts every S aⁿbⁿ (next-character sets "
    "right at every position) for n up to beyond the training maximum 20 and up to a larger n "
    "than the GRU (hidden 10); both trained 2,500 Adam steps (lr 1e-2, batch 16) on n ≤ 20 "
    "(the paper: n ≤ 100), tested on n ≤ 150",
    counting_experiment, decide_counting, plot_counting, "≈ 3 min of CPU (1 seed)")
