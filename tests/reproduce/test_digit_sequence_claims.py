"""The digit-sequence claims (sequential_mnist, ctc_labelling): their verdict rules both ways
on synthetic results, and their data on tiny cases (the quick runs are in test_claims.py)."""
import numpy as np
import pytest

from gradwork.reproduce import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE
from gradwork.reproduce import ctc_labelling as ctc
from gradwork.reproduce import sequential_mnist as smnist
from gradwork.reproduce.claim import Context


def _smnist_rows(tcn, lstm, gru, seeds=1):
    rows = []
    for task in ("sequential", "permuted"):
        for kind, acc in (("TCN", tcn), ("LSTM", lstm), ("GRU", gru)):
            for s in range(seeds):
                rows += [{"task": task, "model": kind, "seed": s, "step": 1, "seconds": 30.0,
                          "test_acc": 0.1},
                         {"task": task, "model": kind, "seed": s, "step": 2, "seconds": 60.0,
                          "test_acc": acc}]
    return rows


def test_sequential_mnist_rule():
    decide = smnist.decide_smnist
    assert decide(_smnist_rows(0.90, 0.85, 0.88, seeds=2)).status == HOLDS
    assert decide(_smnist_rows(0.87, 0.85, 0.885)).status == HOLDS       # within 2 points
    assert decide(_smnist_rows(0.80, 0.70, 0.85)).status == DOES_NOT_HOLD
    assert decide(_smnist_rows(0.30, 0.31, 0.20)).status == INCONCLUSIVE  # nobody learned
    assert decide(_smnist_rows(0.90, 0.85, 0.88)).numbers["P-MNIST TCN acc/min"] == \
        pytest.approx(0.90)


def test_digit_sequences_are_standardised_pixel_sequences():
    x_train, y_train, x_test, y_test = smnist.digit_sequences(Context(quick=True))
    assert x_train.shape == (64, 49, 1) and x_test.shape == (64, 49, 1)
    assert abs(float(x_train.mean())) < 1e-4 and float(x_train.std()) == pytest.approx(1, 1e-3)
    assert set(y_train.tolist()) == set(range(10))
    perm = smnist.permutation(196)
    assert sorted(perm.tolist()) == list(range(196))
    np.testing.assert_array_equal(perm, smnist.permutation(196))        # fixed


def test_parameter_counts_are_matched():
    target = smnist.count(smnist.build("LSTM", 64, 196))
    for kind in ("GRU", "TCN"):
        width = smnist.matched_width(kind, 196, target)
        got = smnist.count(smnist.build(kind, width, 196))
        assert abs(got - target) <= abs(smnist.count(smnist.build(kind, width + 1, 196))
                                        - target)
        assert abs(got - target) / target < 0.1


def _ctc_rows(greedy, beam, seeds=1):
    return [row for s in range(seeds) for row in (
        {"seed": s, "step": 1, "greedy_ler": 1.0},
        {"seed": s, "step": 2, "greedy_ler": greedy, "greedy_ler_final": greedy,
         "beam_ler": beam, "exact_greedy": 0.5, "exact_beam": 0.5, "decodings_differ": 3})]


def test_ctc_rule():
    assert ctc.decide_ctc(_ctc_rows(0.05, 0.04, seeds=2)).status == HOLDS
    assert ctc.decide_ctc(_ctc_rows(0.7, 0.6)).status == DOES_NOT_HOLD
    assert ctc.decide_ctc(_ctc_rows(0.2, 0.1)).status == INCONCLUSIVE    # greedy decides


def test_glyph_sequences_concatenate_digits_with_gaps():
    glyphs = np.stack([np.full((3, 2), d + 1, np.float32) for d in range(10)])   # 3 high, 2 wide
    labels = np.arange(10)
    frames, targets = ctc.glyph_sequences(glyphs, labels, 50, np.random.default_rng(0),
                                          max_digits=4, max_gap=2)
    for f, t in zip(frames, targets):
        assert 1 <= len(t) <= 4 and f.shape[1] == 3
        assert 2 * len(t) <= len(f) <= 2 * len(t) + 2 * (len(t) + 1)
        columns = [int(c) for c in f[:, 0] if c]                  # non-blank columns in order
        assert columns == [d for d in t for _ in range(2)]        # glyph d + 1 is label d + 1
    x, lengths, y, tl = ctc.pad_batch(frames[:3], targets[:3])
    assert x.shape == (3, max(lengths), 3) and (x[0, lengths[0]:] == 0).all()
    assert tl.tolist() == [len(t) for t in targets[:3]] and y[0, :tl[0]].tolist() == targets[0]


def _variant_rows(mses, accs):
    rows = [{"task": "adding", "seed": 0, "variant": v, "step": 1, "test_mse": m}
            for v, m in zip(("plain", "peephole", "coupled"), mses)]
    return rows + [{"task": "sequential MNIST", "seed": 0, "variant": v, "step": 1,
                    "test_acc": a} for v, a in zip(("plain", "peephole", "coupled"), accs)]


def test_lstm_variants_rule_with_sequential_mnist():
    from gradwork.reproduce.lstm_variants import decide_variants as decide
    solved = (0.002, 0.003, 0.0015)
    assert decide(_variant_rows(solved, (0.90, 0.88, 0.86))).status == HOLDS
    assert decide(_variant_rows(solved, (0.90, 0.80, 0.86))).status == DOES_NOT_HOLD
    assert decide(_variant_rows((0.002, 0.05, 0.003), (0.9, 0.9, 0.9))).status == DOES_NOT_HOLD
    assert decide(_variant_rows(solved, (0.40, 0.42, 0.41))).status == INCONCLUSIVE
    assert decide(_variant_rows(solved, (0.90, 0.88, 0.86))).numbers["mnist_spread"] == \
        pytest.approx(0.04)


def test_lstm_variant_classifiers_are_matched_in_size():
    from gradwork.reproduce import lstm_variants as lv
    target = lv.count(lv.VariantClassifier(64))
    for options in lv._VARIANTS.values():
        model = lv.VariantClassifier(lv.matched_hidden(options, target, lv.VariantClassifier),
                                     **options)
        assert abs(lv.count(model) - target) / target < 0.03
