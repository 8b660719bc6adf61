"""BLEU against the published definition (Papineni et al. 2002) on hand-worked examples."""
import math

import pytest

from gradwork.train.bleu import bleu_statistics, corpus_bleu, ngrams


def test_identical_sentences_score_one():
    s = "the cat sat on the mat".split()
    assert corpus_bleu([s], [[s]]) == pytest.approx(1.0)


def test_papineni_modified_unigram_precision():
    """Papineni et al. §2.1: 'the the the the the the the' against 'the cat is on the mat'
    and 'there is a cat on the mat' has modified unigram precision 2/7."""
    hyp = "the the the the the the the".split()
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    matches, totals, _, _ = bleu_statistics([hyp], [refs], max_n=1)
    assert (matches[0], totals[0]) == (2, 7)


def test_hand_worked_sentence():
    """hyp a b c d e f, ref a b c d x f g: p1 = 5/6, p2 = 3/5, p3 = 2/4, p4 = 1/3, c = 6 < r = 7
    so BP = e^{1 − 7/6}; BLEU = e^{−1/6} (1/12)^{1/4}."""
    hyp, ref = "a b c d e f".split(), "a b c d x f g".split()
    matches, totals, c, r = bleu_statistics([hyp], [[ref]])
    assert (matches, totals, c, r) == ([5, 3, 2, 1], [6, 5, 4, 3], 6, 7)
    assert corpus_bleu([hyp], [[ref]]) == pytest.approx(math.exp(-1 / 6) * (1 / 12) ** 0.25)


def test_corpus_level_sums_counts_before_dividing():
    """Two sentences: (a b c d e | a b c d e) and (x y z w | x y q w). Totals: p1 = 8/9,
    p2 = 5/7, p3 = 3/5, p4 = 2/3; c = r = 9 so BP = 1 — not the mean of sentence BLEUs (the
    second has no matching trigram, so its own BLEU is 0)."""
    hyps = ["a b c d e".split(), "x y z w".split()]
    refs = [["a b c d e".split()], ["x y q w".split()]]
    expected = (8 / 9 * 5 / 7 * 3 / 5 * 2 / 3) ** 0.25
    assert corpus_bleu(hyps, refs) == pytest.approx(expected)
    assert corpus_bleu(hyps[1:], refs[1:]) == 0.0


def test_effective_reference_length_is_the_closest():
    """hyp of 4 words, references of 3 and 6 words: r = 3 (closest), c > r, BP = 1; with
    references of 3 and 5 words, both 1 away: the shorter, r = 3."""
    hyp = "a b c d".split()
    assert bleu_statistics([hyp], [["a b c".split(), "a b c d e f".split()]])[3] == 3
    assert bleu_statistics([hyp], [["a b c".split(), "a b c d e".split()]])[3] == 3
    assert bleu_statistics([hyp], [["a b c d e f".split()]])[3] == 6


def test_ngrams_and_ids():
    assert ngrams([1, 2, 1, 2], 2) == {(1, 2): 2, (2, 1): 1}
    assert corpus_bleu([[1, 2, 3, 4]], [[[1, 2, 3, 4]]]) == pytest.approx(1.0)


@pytest.mark.parametrize("hyps, refs, match", [("a b", [["a b"]], "str"),
                                               ([["a"]], [], "reference sets"),
                                               ([], [], "empty"),
                                               ([["a"]], [[]], "at least one reference")])
def test_bad_input_is_named(hyps, refs, match):
    with pytest.raises(ValueError, match=match):
        corpus_bleu(hyps, refs)
