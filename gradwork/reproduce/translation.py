"""Attention helps long sentences (deck 000, "What is the problem with this model?" and
"Attention Mechanism"; Bahdanau, Cho & Bengio 2015, Fig. 2): an encoder–decoder whose decoder
sees the source only through the encoder's final state degrades as sentences grow; with
attention (Bahdanau's, or GNMT's from the previous output) it does not.

The task ships here: a fixed rule-based "translation" — the target is the source reversed
with every word mapped through a fixed bilingual dictionary (a permutation of the
vocabulary), so every target word depends on one source word far from it in the sequence.
BLEU (corpus, 4-gram) of greedy translations, by source length."""
import time

from .. import optim
from ..autograd import Tensor
from ..backend import manual_seed, np
from ..models.gnmt import GNMT
from ..models.seq2seq import Seq2SeqAttention
from ..nn import functional as F
from ..train.bleu import corpus_bleu
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .plotting import curves
from .sequence_training import clipped_step

PAD, START, END, _FIRST = 0, 1, 2, 3       # word ids ≥ 3 are words
_VOCAB = 24
_MODELS = (("no attention", "fixed"), ("Bahdanau", "bahdanau"), ("GNMT", "gnmt"),
           ("no attention, s_0 only", None), ("GNMT model, 3 + 3 layers", "gnmt_model"))
_ATTENTIVE = _MODELS[1:3]
_MARGIN = 0.2


def dictionary(vocab=_VOCAB, seed=0):
    """The fixed source → target word map (a permutation of the words, ids kept ≥ 3)."""
    words = np.arange(_FIRST, vocab)
    table = np.arange(vocab)
    table[words] = np.random.default_rng(seed).permutation(words)
    return table


def translation_batch(rng, n, length, vocab=_VOCAB):
    """(src (n, length), tgt (n, length + 2) = START, reversed-and-mapped source, END)."""
    src = rng.integers(_FIRST, vocab, (n, length))
    body = dictionary(vocab)[src[:, ::-1]]
    tgt = np.concatenate([np.full((n, 1), START), body, np.full((n, 1), END)], 1)
    return src, tgt


def _sizes(ctx):
    """(train lengths, test lengths, steps, sentences per test length, hidden)."""
    if ctx.quick:
        return (3, 6), (3, 6), 3, 4, 8
    return (4, 24), (4, 8, 12, 16, 20, 24), 2000, 40, 32


def _train(model, lengths, steps, seed):
    rng, opt = np.random.default_rng(seed), optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(steps):
        src, tgt = translation_batch(rng, 32, int(rng.integers(lengths[0], lengths[1] + 1)))
        logits = model(Tensor(src), Tensor(tgt))
        loss = F.cross_entropy(logits.reshape(-1, _VOCAB), Tensor(tgt[:, 1:].reshape(-1)))
        clipped_step(opt, loss, model.parameters())
    return float(loss.item())


def _score(model, length, n, seed):
    src, tgt = translation_batch(np.random.default_rng(10_000 + seed * 100 + length), n, length)
    tokens, _ = model.eval().translate(Tensor(src), START, max_length=length + 1, end_token=END)
    model.train()
    hyps = [list(row[:list(row).index(END)] if END in row else row) for row in tokens.numpy()]
    refs = [[list(row[1:-1])] for row in tgt]
    exact = float(np.mean([h == r[0] for h, r in zip(hyps, refs)]))
    return corpus_bleu(hyps, refs), exact


def _build(attention, hidden):
    """Seq2SeqAttention with `attention`, or ("gnmt_model") the GNMT-shaped models.GNMT."""
    if attention == "gnmt_model":
        return GNMT(_VOCAB, _VOCAB, embed_size=hidden // 2, hidden_size=hidden)
    return Seq2SeqAttention(_VOCAB, _VOCAB, embed_size=hidden // 2, hidden_size=hidden,
                            attention=attention)


def attention_experiment(ctx):
    train_lengths, test_lengths, steps, n_test, hidden = _sizes(ctx)
    rows = []
    for seed in ctx.seeds:
        for label, attention in _MODELS:
            ctx.log(f"{label}, seed {seed}: {steps} steps on lengths {train_lengths}")
            manual_seed(seed)
            model = _build(attention, hidden)
            start = time.perf_counter()
            loss = _train(model, train_lengths, steps, seed)
            seconds = round(time.perf_counter() - start, 1)
            for length in test_lengths:
                bleu, exact = _score(model, length, n_test, seed)
                ctx.log(f"  length {length}: BLEU {100 * bleu:.1f}, exact {exact:.2f}")
                rows.append({"seed": seed, "model": label, "length": length, "bleu": bleu,
                             "exact_match": exact, "final_train_loss": loss,
                             "train_seconds": seconds})
    return rows


def _bleu(rows, model, length, seed):
    return next(r["bleu"] for r in rows if r["model"] == model and r["length"] == length
                and r["seed"] == seed)


def decide_attention(rows):
    """Holds if, in every seed, the no-attention model's (Cho et al.'s encoder–decoder, the
    fixed context at every step: Bahdanau et al.'s RNNencdec) BLEU at the longest test length is
    ≥ 0.2 below its BLEU at the shortest (it decays with length) and both attention models'
    BLEU at the longest length is ≥ 0.2 above it. Does not hold if, in every seed, an
    attention model's BLEU at the longest length is no higher than the no-attention
    model's; inconclusive otherwise."""
    lengths, seeds = sorted({r["length"] for r in rows}), sorted({r["seed"] for r in rows})
    short, long_, numbers, holds, contra = lengths[0], lengths[-1], {}, [], []
    for s in seeds:
        base_short, base_long = _bleu(rows, "no attention", short, s), \
            _bleu(rows, "no attention", long_, s)
        att = [_bleu(rows, m, long_, s) for m, _ in _ATTENTIVE]
        numbers.update({f"seed{s}_none_len{short}": base_short,
                        f"seed{s}_none_len{long_}": base_long,
                        **{f"seed{s}_{m}_len{long_}": a for (m, _), a in zip(_ATTENTIVE, att)}})
        if any(r["model"] == _MODELS[3][0] for r in rows):
            numbers[f"seed{s}_s0only_len{short}"] = _bleu(rows, _MODELS[3][0], short, s)
        if any(r["model"] == _MODELS[4][0] for r in rows):
            numbers[f"seed{s}_gnmt_model_len{long_}"] = _bleu(rows, _MODELS[4][0], long_, s)
        holds.append(base_long <= base_short - _MARGIN and
                     all(a >= base_long + _MARGIN for a in att))
        contra.append(any(a <= base_long for a in att))
    if all(holds):
        return Verdict(HOLDS, numbers)
    if all(contra):
        return Verdict(DOES_NOT_HOLD, numbers, "an attention model did no better than the "
                       "encoder–decoder without attention on the longest sentences")
    return Verdict(INCONCLUSIVE, numbers, "the margins were not met in every seed")


def plot_attention(rows, path, ctx):
    series = []
    for label, _ in _MODELS:
        pts = [r for r in rows if r["model"] == label and r["seed"] == ctx.seeds[0]]
        series.append((label, [r["length"] for r in pts], [100 * r["bleu"] for r in pts]))
    return curves(path, [("greedy decoding", "source length", "BLEU", series, False)],
                  "Reverse-and-map translation: BLEU by sentence length (Bahdanau et al. "
                  "2015, Fig. 2)")


ATTENTION_LONG_SENTENCES = Claim(
    "attention_long_sentences", "000_3d6ebcc1da027892.txt",
    "What is the problem with this model? / Attention Weights",
    "Without attention an encoder–decoder's translations degrade as sentences grow; with "
    "attention (Bahdanau's or GNMT's) they do not.",
    "Bahdanau, Cho & Bengio 2015, Fig. 2; Wu et al. 2016",
    "holds if, in every seed, the encoder–decoder without attention (Cho et al. 2014's: the "
    "encoder's final states as a fixed context at every step, Bahdanau et al.'s RNNencdec) "
    "loses ≥ 20 BLEU points "
    "from length 4 to length 24 while Bahdanau and GNMT attention each score ≥ 20 points "
    "above it at length 24; task: reverse a sentence over a 21-word vocabulary and map every "
    "word through a fixed dictionary; hidden 32, Adam 5e-3, batch 32, 2,000 steps on "
    "lengths 4–24, greedy decoding of 40 test sentences per length; the decoder that sees "
    "the source only through s_0, and the GNMT-shaped model (models.GNMT: 3 + 3 LSTM layers "
    "of 32, bidirectional bottom, residual from layer 3), reported as measured",
    attention_experiment, decide_attention, plot_attention, "≈ 3 min of CPU (1 seed)")
