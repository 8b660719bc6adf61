"""LSTM counts, GRU does not (deck 004; Weiss, Goldberg & Yahav 2018, "On the Practical
Computational Power of Finite Precision RNNs for Language Recognition", §5 and Fig. 1).

Next-character-set prediction on aⁿbⁿ and aⁿbⁿcⁿ: reading S aⁿ bⁿ (cⁿ), after S the next
symbol is {a}, after each a {a, b}, after the j-th b {b} (j < n) or the next letter ({$} for
aⁿbⁿ, {c} for aⁿbⁿcⁿ) (j = n), and likewise after the c's, ending with {$}. A string is
accepted when the predicted set (sigmoid > ½ per symbol) is right at every position. Trained
on n ≤ N, a net that counts (the LSTM's cell state can hold an unbounded count) keeps
accepting far beyond N; a GRU, whose state is a convex mix kept in (−1, 1), cannot count
exactly."""
from .. import nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed, np
from ..nn import functional as F
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import _figure, _save
from .sequence_training import RECURRENT, cell_like, clipped_step

_S = 0                         # input tokens: S, then the letters 1..k; outputs: letters, $
_HIDDEN = 10                   # Weiss et al.'s nets are this small
LANGUAGES = {"anbn": 2, "anbncn": 3}        # name → number of letters k
_NAMES = {"anbn": "aⁿbⁿ", "anbncn": "aⁿbⁿcⁿ"}


def counting_example(n, letters=2):
    """(tokens (k·n+1,), targets (k·n+1, k+1)): S a₁ⁿ…a_kⁿ and the next-character sets over
    (a₁, …, a_k, $)."""
    tokens = np.array([_S] + [j for j in range(1, letters + 1) for _ in range(n)], np.int64)
    sets = np.zeros((letters * n + 1, letters + 1), np.float32)
    sets[0, 0] = 1                          # after S: a
    sets[1:n + 1, :2] = 1                   # after an a: a or b
    for j in range(1, letters):             # the j-th letter after a (b, c, …)
        sets[n * j + 1:n * (j + 1), j] = 1  # after its i-th, i < n: itself
        sets[n * (j + 1), j + 1] = 1        # after its n-th: the next letter, or $
    return tokens, sets


def anbn_example(n):
    """(tokens (2n+1,), targets (2n+1, 3)): S aⁿbⁿ and the next-character sets (a, b, $)."""
    return counting_example(n, 2)


class NextSetPredictor(nn.Module):
    """One-hot tokens → LSTM/GRU (batch-first) → Linear → k+1 logits (letters, $) per step."""

    def __init__(self, kind, hidden=_HIDDEN, letters=2):
        super().__init__()
        self.kind, self.letters = kind, letters
        self.rnn = RECURRENT[kind](letters + 1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, letters + 1)

    def forward(self, tokens):
        eye = np.eye(self.letters + 1, dtype=np.float32)
        return self.head(self.rnn(Tensor(eye[tokens]))[0])


def accepts(model, n):
    """Whether the predicted next-character sets are right at every position of the
    model's language's string for n."""
    tokens, sets = counting_example(n, model.letters)
    with no_grad():
        logits = model(tokens[None])._data[0]
    return bool(((logits > 0) == (sets > 0.5)).all())


def train_counter(model, max_n, steps, seed, batch_size=16, lr=1e-2):
    """Adam on batches of one string with n ~ U{1..max_n} per batch; per-symbol BCE."""
    rng, opt = np.random.default_rng(seed), optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        tokens, sets = counting_example(int(rng.integers(1, max_n + 1)), model.letters)
        loss = F.binary_cross_entropy_with_logits(
            model(np.repeat(tokens[None], batch_size, 0)),
            Tensor(np.repeat(sets[None], batch_size, 0)))
        clipped_step(opt, loss, model.parameters())


def states_along(model, n):
    """The cell state c_t (LSTM) or hidden state h_t (GRU) at every position of the string."""
    cell = cell_like(model.rnn, model.kind)
    tokens, _ = counting_example(n, model.letters)
    eye = np.eye(model.letters + 1, dtype=np.float32)
    out, state = [], None
    with no_grad():
        for tok in tokens:
            state = cell(Tensor(eye[[tok]]), state)
            out.append((state[1] if model.kind == "LSTM" else state)._data[0].copy())
    return np.array(out)


def _sizes(ctx):
    """(train max n, largest test n, steps)."""
    return (4, 12, 30) if ctx.quick else (20, 150, 2500)


def counting_experiment(ctx):
    max_n, test_n, steps = _sizes(ctx)
    rows = []
    for seed in ctx.seeds:
        for language, letters in LANGUAGES.items():
            for kind in ("LSTM", "GRU"):
                ctx.log(f"{kind} on {_NAMES[language]}, seed {seed}: training on n ≤ {max_n}")
                manual_seed(seed)
                model = NextSetPredictor(kind, letters=letters)
                train_counter(model, max_n, steps, seed)
                ok = [accepts(model, n) for n in range(1, test_n + 1)]
                largest = next((n for n, a in enumerate(ok) if not a), test_n)
                ctx.log(f"  accepts every n ≤ {largest}")
                base = {"seed": seed, "language": language, "model": kind}
                rows += [{**base, "kind": "acceptance", "n": n + 1, "accepted": a,
                          "train_max_n": max_n, "largest_n": largest}
                         for n, a in enumerate(ok)]
                states = states_along(model, 2 * max_n)
                rows += [{**base, "kind": "state", "n": 2 * max_n, "position": t,
                          **{f"unit{u}": float(v) for u, v in enumerate(s)}}
                         for t, s in enumerate(states)]
    return rows


def _largest(rows, kind, seed, language):
    return next(r for r in rows if r["model"] == kind and r["seed"] == seed
                and r["language"] == language and r["kind"] == "acceptance")["largest_n"]


def decide_counting(rows):
    """Holds if, for each language and seed, the LSTM accepts every n up to beyond its
    training range and up to a larger n than the GRU does. Does not hold if, for some
    language, the GRU's largest accepted n is at least the LSTM's in every seed;
    inconclusive otherwise."""
    seeds, numbers, holds = sorted({r["seed"] for r in rows}), {}, []
    languages = list(dict.fromkeys(r["language"] for r in rows))
    train_max, contra = rows[0]["train_max_n"], False
    for language in languages:
        lang_contra = []
        for s in seeds:
            lstm, gru = _largest(rows, "LSTM", s, language), _largest(rows, "GRU", s, language)
            numbers.update({f"seed{s}_{language}_lstm_largest_n": lstm,
                            f"seed{s}_{language}_gru_largest_n": gru})
            holds.append(lstm > train_max and lstm > gru)
            lang_contra.append(gru >= lstm)
        contra = contra or all(lang_contra)
    numbers["train_max_n"] = train_max
    if all(holds):
        return Verdict(HOLDS, numbers)
    if contra:
        return Verdict(DOES_NOT_HOLD, numbers, "the GRU generalised as far as the LSTM on a "
                       "language")
    return Verdict(INCONCLUSIVE, numbers, "the seeds or languages disagree, or the LSTM did "
                   "not generalise beyond its training range")


def plot_counting(rows, path, ctx):
    seed = ctx.seeds[0]
    languages = list(dict.fromkeys(r["language"] for r in rows))
    fig = _figure(15, 3.8 * len(languages))
    axes = fig.subplots(len(languages), 3, squeeze=False)
    for row, language in zip(axes, languages):
        mine = [r for r in rows if r["seed"] == seed and r["language"] == language]
        for kind in ("LSTM", "GRU"):
            pts = [r for r in mine if r["model"] == kind and r["kind"] == "acceptance"]
            row[0].plot([r["n"] for r in pts], [int(r["accepted"]) for r in pts], marker="o",
                        markersize=2, label=f"{kind} (all n ≤ {pts[0]['largest_n']})")
        row[0].axvline(rows[0]["train_max_n"], color="grey", ls="--", label="training max n")
        row[0].set(title=f"accepted {_NAMES[language]}", xlabel="n",
                   ylabel="accepted (1) or not (0)")
        row[0].legend(fontsize=7)
        for ax, kind, what in ((row[1], "LSTM", "cell state c_t"),
                               (row[2], "GRU", "hidden state h_t")):
            pts = [r for r in mine if r["model"] == kind and r["kind"] == "state"]
            for u in range(_HIDDEN):
                ax.plot([r["position"] for r in pts], [r[f"unit{u}"] for r in pts], lw=1)
            ax.set(title=f"{kind} {what}, {_NAMES[language]}, n = {pts[0]['n']}",
                   xlabel="position in the string", ylabel=what)
            ax.grid(alpha=0.3)
    fig.suptitle("Next-character-set prediction (Weiss, Goldberg & Yahav 2018)")
    return _save(fig, path)


LSTM_COUNTS = Claim(
    "lstm_counts", "004_88eb7e677c5ff7c1.txt",
    "On the Practical Computational Power of Finite Precision RNNs (Fig. 1)",
    "Trained on aⁿbⁿ and aⁿbⁿcⁿ with small n, an LSTM learns to count and keeps accepting "
    "much larger n; a GRU does not.",
    "Weiss, Goldberg & Yahav 2018, §5 and Fig. 1",
    "holds if, for each of aⁿbⁿ and aⁿbⁿcⁿ and in every seed, the LSTM (hidden 10) accepts "
    "every string (next-character sets right at every position) for n up to beyond the "
    "training maximum 20 and up to a larger n than the GRU (hidden 10); does not hold if, on "
    "a language, the GRU's largest n is at least the LSTM's in every seed; both trained "
    "2,500 Adam steps (lr 1e-2, batch 16) on n ≤ 20 (the paper: n ≤ 100), tested on n ≤ 150; "
    "the largest n accepted by each net on each language is reported",
    counting_experiment, decide_counting, plot_counting, "≈ 5 min of CPU (1 seed)")
