"""CTC learns alignment-free labelling (deck 004, "Temporal Classification"; Graves,
Fernández, Gomez & Schmidhuber 2006): a bidirectional LSTM trained with the CTC loss on
input sequences and their label sequences only — never told where a label starts — learns
to label unsegmented sequences.

The task, generated here: 1–5 bundled MNIST digits (downsampled by 2×2 means to 14×14) are
set side by side with 0–4 blank columns before, between and after them, and the image is read
column by column: a sequence of 14-pixel feature vectors, 14–94 frames, labelled with its
digits only. Training sequences use the 4,000 training digits, held-out sequences the 1,000
test digits. The model: BiLSTM (64 units each way) → Linear → log-softmax over blank + 10
digits; Adam lr 3e-3, clip 1, fresh batches of 32 sequences. The label error rate (Σ edit
distance / Σ reference length, Graves et al. §5.1) of best-path (greedy) decoding decides;
prefix beam search (Hannun et al. 2014; Graves 2012 §7.5) is compared with it."""
import time

from .. import nn, optim
from ..autograd import Tensor, no_grad
from ..backend import manual_seed, np
from ..data import MNIST
from ..models.speech import ctc_beam_search, ctc_greedy_decode, label_error_rate
from ..nn import functional as F
from ..ops import log_softmax, transpose
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import curves
from .sequence_training import clipped_step

_MAX_DIGITS, _MAX_GAP, _HIDDEN, _LR, _BATCH = 5, 4, 64, 3e-3, 32
_BOUND, _FAILED, _BEAM = 0.15, 0.5, 8


def digit_glyphs(ctx, train):
    """(glyphs (N, 14, 14) float32 in [0, 1], labels (N,)) of the bundled digits (quick: 64)."""
    ds = MNIST(ctx.data_dir, train=train)
    n = 64 if ctx.quick else (4000 if train else 1000)
    images = ds.data[:n].astype(np.float32) / 255.0
    return images.reshape(len(images), 14, 2, 14, 2).mean(axis=(2, 4)), ds.targets[:n]


def glyph_sequences(glyphs, labels, count, rng, max_digits=_MAX_DIGITS, max_gap=_MAX_GAP):
    """`count` sequences of 1..max_digits random glyphs side by side, 0..max_gap blank
    columns before, between and after them, read column by column: (frames list of (T_i, H)
    arrays, label lists with digit d as class d + 1, blank = 0)."""
    height = glyphs.shape[1]
    frames, targets = [], []
    for _ in range(count):
        picks = rng.integers(0, len(glyphs), rng.integers(1, max_digits + 1))
        columns = [np.zeros((rng.integers(0, max_gap + 1), height), np.float32)]
        for i in picks:
            columns += [glyphs[i].T, np.zeros((rng.integers(0, max_gap + 1), height),
                                              np.float32)]
        frames.append(np.concatenate(columns))
        targets.append([int(labels[i]) + 1 for i in picks])
    return frames, targets


def pad_batch(frames, targets):
    """(x (N, T_max, H) zero-padded, lengths (N,), targets (N, S_max) padded, target lengths)."""
    lengths = np.array([len(f) for f in frames])
    x = np.zeros((len(frames), lengths.max(), frames[0].shape[1]), np.float32)
    for i, f in enumerate(frames):
        x[i, :len(f)] = f
    tl = np.array([len(t) for t in targets])
    y = np.zeros((len(targets), tl.max()), np.int64)
    for i, t in enumerate(targets):
        y[i, :len(t)] = t
    return x, lengths, y, tl


class BiLSTMCTC(nn.Module):
    """Frames (N, T, H) → BiLSTM → Linear → log-probabilities (T, N, 11) over blank (0) and
    the ten digits, CTCLoss's layout."""

    def __init__(self, height=14, hidden=_HIDDEN, classes=11):
        super().__init__()
        self.rnn = nn.LSTM(height, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x, lengths=None):
        out, _ = self.rnn(x, lengths=lengths)
        return log_softmax(transpose(self.fc(out), 0, 1), dim=-1)


def decode(model, frames, beam_size=None, batch_size=100):
    """Best-path labellings of `frames` (or prefix beam search with `beam_size`)."""
    out = []
    with no_grad():
        for i in range(0, len(frames), batch_size):
            chunk = frames[i:i + batch_size]
            x, lengths, _, _ = pad_batch(chunk, [[1]] * len(chunk))
            lp = model(Tensor(x), Tensor(lengths))
            out += ctc_greedy_decode(lp, lengths) if beam_size is None else \
                ctc_beam_search(lp, lengths, beam_size=beam_size)
    return out


def train_ctc(model, glyphs, test_set, *, steps, seed, eval_every, log=None):
    """Adam, clip 1, a fresh batch of training sequences per step; one row every
    `eval_every` steps: step, seconds (training only), train_loss (mean since the last row),
    greedy_ler on the held-out sequences."""
    params = list(model.parameters())
    opt = optim.Adam(params, lr=_LR)
    rng = np.random.default_rng(1000 + seed)
    rows, total, n, seconds = [], 0.0, 0, 0.0
    for step in range(1, steps + 1):
        x, lengths, y, tl = pad_batch(*glyph_sequences(*glyphs, _BATCH, rng))
        start = time.perf_counter()
        lp = model(Tensor(x), Tensor(lengths))
        loss = F.ctc_loss(lp, Tensor(y), Tensor(lengths), Tensor(tl))
        clipped_step(opt, loss, params)
        seconds += time.perf_counter() - start
        total, n = total + float(loss.item()), n + 1
        if step % eval_every == 0 or step == steps:
            ler = label_error_rate(decode(model, test_set[0]), test_set[1])
            rows.append({"step": step, "seconds": round(seconds, 2), "train_loss": total / n,
                         "greedy_ler": ler})
            total, n = 0.0, 0
            if log:
                log(f"    step {step} ({seconds:.0f} s): train CTC {rows[-1]['train_loss']:.3f}"
                    f", held-out LER (best path) {ler:.3f}")
    return rows


def ctc_experiment(ctx):
    steps, eval_every, n_test = (3, 1, 16) if ctx.quick else (3000, 150, 500)
    train_glyphs, test_glyphs = digit_glyphs(ctx, True), digit_glyphs(ctx, False)
    rows = []
    for seed in ctx.seeds:
        test_set = glyph_sequences(*test_glyphs, n_test, np.random.default_rng(999_999))
        manual_seed(seed)
        model = BiLSTMCTC()
        ctx.log(f"BiLSTM-CTC ({sum(p._data.size for p in model.parameters())} params), "
                f"seed {seed}")
        curve = train_ctc(model, (train_glyphs[0], train_glyphs[1]), test_set, steps=steps,
                          seed=seed, eval_every=eval_every, log=ctx.log)
        start = time.perf_counter()
        greedy = decode(model, test_set[0])
        greedy_s = time.perf_counter() - start
        start = time.perf_counter()
        beam = decode(model, test_set[0], beam_size=_BEAM)
        beam_s = time.perf_counter() - start
        final = {"beam_ler": label_error_rate(beam, test_set[1]),
                 "greedy_ler_final": label_error_rate(greedy, test_set[1]),
                 "decodings_differ": sum(a != b for a, b in zip(greedy, beam)),
                 "exact_greedy": float(np.mean([a == b for a, b in zip(greedy, test_set[1])])),
                 "exact_beam": float(np.mean([a == b for a, b in zip(beam, test_set[1])])),
                 "greedy_decode_s": round(greedy_s, 2), "beam_decode_s": round(beam_s, 2),
                 "n_test": n_test, "beam_size": _BEAM}
        for r in curve:
            rows.append({"seed": seed, **r, **(final if r is curve[-1] else {})})
        ctx.log(f"  best path LER {final['greedy_ler_final']:.3f} ({greedy_s:.1f} s), prefix "
                f"beam ({_BEAM}) LER {final['beam_ler']:.3f} ({beam_s:.1f} s)")
    return rows


def decide_ctc(rows):
    """Mean over seeds of the final best-path label error rate on held-out sequences: holds
    if below 0.15; does not hold if at or above 0.5 (no alignment-free labelling learned);
    inconclusive in between. The beam-search LER is reported beside it."""
    finals = [r for r in rows if "beam_ler" in r]
    greedy = float(np.mean([r["greedy_ler_final"] for r in finals]))
    numbers = {"greedy_ler": greedy,
               "beam_ler": float(np.mean([r["beam_ler"] for r in finals])),
               "exact_greedy": float(np.mean([r["exact_greedy"] for r in finals])),
               "exact_beam": float(np.mean([r["exact_beam"] for r in finals])),
               "decodings_differ": int(sum(r["decodings_differ"] for r in finals)),
               "bound": _BOUND}
    if greedy < _BOUND:
        return Verdict(HOLDS, numbers)
    if greedy >= _FAILED:
        return Verdict(DOES_NOT_HOLD, numbers, "the best-path LER stayed at or above 0.5")
    return Verdict(INCONCLUSIVE, numbers, "the best-path LER is below 0.5 but not below 0.15")


def plot_ctc(rows, path, ctx):
    pts = [r for r in rows if r["seed"] == ctx.seeds[0]]
    steps = [r["step"] for r in pts]
    ler = [("best path (greedy)", steps, [r["greedy_ler"] for r in pts]),
           (f"bound {_BOUND}", [steps[0], steps[-1]], [_BOUND] * 2)]
    if "beam_ler" in pts[-1]:
        ler.append((f"prefix beam ({_BEAM}), final", [steps[-1]], [pts[-1]["beam_ler"]]))
    panels = [("held-out label error rate", "step", "LER", ler, True),
              ("training", "step", "CTC loss per label",
               [("train", steps, [r["train_loss"] for r in pts])], True)]
    return curves(path, panels, "BiLSTM-CTC on unsegmented digit strings")


CTC_LABELLING = Claim(
    "ctc_labelling", "004_88eb7e677c5ff7c1.txt", "Temporal Classification",
    "A BiLSTM trained with CTC labels unsegmented sequences without being told the alignment "
    "(Graves et al. 2006).",
    "Graves, Fernández, Gomez & Schmidhuber 2006, Connectionist Temporal Classification: "
    "Labelling Unsegmented Sequence Data with Recurrent Neural Networks",
    "holds if the best-path (greedy) label error rate on 500 held-out strings of 1–5 test "
    "digits (14×14, read column by column, 0–4 blank columns around each) is below 0.15; "
    "does not hold if it is at or above 0.5; inconclusive in between; prefix beam search "
    "(width 8) reported beside it; BiLSTM 64+64 → Linear → 11 classes (blank + 10), Adam "
    "lr 3e-3, clip 1, 3,000 steps of 32 fresh strings of training digits",
    ctc_experiment, decide_ctc, plot_ctc, "≈ 2 min of CPU (1 seed)")
