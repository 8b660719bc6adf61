import itertools
import math

import numpy as np
import pytest

import gradwork as gw
from gradwork.models import get_model
from gradwork.models.speech import (
    SpokenDigitCTC,
    ctc_beam_search,
    ctc_greedy_decode,
    edit_distance,
    label_error_rate,
)


@pytest.mark.parametrize("name", ["digit_gru", "digit_lstm"])
def test_classifiers_take_padded_batches(name):
    model = get_model(name, num_classes=10, in_channels=39)
    x = gw.randn(3, 12, 39)
    assert model(x).shape == (3, 10)
    lengths = gw.tensor([12, 7, 3])
    out = model(x, lengths)
    x2 = x.numpy().copy()
    x2[1, 7:] = 100.0                                     # frames past the length are unread
    model.eval()
    with gw.no_grad():
        np.testing.assert_allclose(model(gw.Tensor(x2), lengths).numpy()[1],
                                   model(x, lengths).numpy()[1], atol=1e-5)
    assert out.shape == (3, 10)


def test_ctc_model_layout():
    lp = SpokenDigitCTC(num_classes=10, in_channels=39)(gw.randn(2, 15, 39), gw.tensor([15, 9]))
    assert lp.shape == (15, 2, 11)
    np.testing.assert_allclose(np.exp(lp.detach().numpy()).sum(-1), 1, atol=1e-5)


def _collapse(path, blank=0):
    out = []
    for i, c in enumerate(path):
        if c != blank and (i == 0 or path[i - 1] != c):
            out.append(c)
    return tuple(out)


def _best_labelling(lp):
    """The most probable labelling by summing every path (brute force)."""
    totals = {}
    for path in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        p = math.exp(sum(lp[t, c] for t, c in enumerate(path)))
        key = _collapse(path)
        totals[key] = totals.get(key, 0.0) + p
    return max(totals, key=totals.get)


@pytest.mark.parametrize("seed", range(4))
def test_prefix_beam_search_finds_the_most_probable_labelling(seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((5, 1, 3)) * 2
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert tuple(ctc_beam_search(lp, beam_size=100)[0]) == _best_labelling(lp[:, 0])


def test_greedy_collapses_repeats_and_blanks():
    path = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    lp = np.log(np.full((9, 2, 4), 0.01))
    for t, c in enumerate(path):
        lp[t, :, c] = 0.0
    assert ctc_greedy_decode(lp) == [[1, 1, 2, 3]] * 2
    assert ctc_greedy_decode(lp, lengths=[9, 4]) == [[1, 1, 2, 3], [1, 1]]
    assert ctc_beam_search(lp, lengths=[9, 4], beam_size=4) == [[1, 1, 2, 3], [1, 1]]


def test_label_error_rate():
    assert label_error_rate([[1, 2, 3]], [[1, 2, 3]]) == 0
    assert label_error_rate([[1, 3], [4, 5, 6]], [[1, 2, 3], [4, 5]]) == pytest.approx(2 / 5)
    assert label_error_rate([[]], [[7, 7]]) == 1


def test_beam_finds_the_labelling_best_path_misses():
    """Graves 2012 §7.5's example, worked by hand: two frames, p(blank) = 0.6, p(a) = 0.4.
    Best path: (blank, blank) → '' with p 0.36; but p('a') = 0.4·0.4 + 0.4·0.6 + 0.6·0.4
    = 0.64 over the paths (a, a), (a, blank), (blank, a)."""
    lp = np.log(np.array([[[0.6, 0.4]], [[0.6, 0.4]]]))
    assert ctc_greedy_decode(lp) == [[]]
    assert ctc_beam_search(lp, beam_size=2) == [[1]]
    assert _best_labelling(lp[:, 0]) == (1,)


@pytest.mark.parametrize("seed", range(3))
def test_beam_with_wide_width_is_exact_on_longer_inputs(seed):
    rng = np.random.default_rng(10 + seed)
    logits = rng.standard_normal((6, 1, 3)) * 1.5
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert tuple(ctc_beam_search(lp, beam_size=3 ** 6)[0]) == _best_labelling(lp[:, 0])


def test_edit_distance_by_hand():
    assert edit_distance([], []) == 0
    assert edit_distance([1, 2, 3], []) == 3 and edit_distance([], [4, 5]) == 2
    assert edit_distance([1, 2, 3], [1, 3]) == 1                 # one deletion
    assert edit_distance([1, 3], [1, 2, 3]) == 1                 # one insertion
    assert edit_distance([1, 2, 3], [1, 5, 3]) == 1              # one substitution
    assert edit_distance([3, 1, 2], [1, 2, 3]) == 2
    kitten, sitting = [ord(c) for c in "kitten"], [ord(c) for c in "sitting"]
    assert edit_distance(kitten, sitting) == 3


def _levenshtein(a, b):
    """The recursive definition, for checking the dynamic programme."""
    if not a or not b:
        return len(a) + len(b)
    return min(_levenshtein(a[1:], b) + 1, _levenshtein(a, b[1:]) + 1,
               _levenshtein(a[1:], b[1:]) + (a[0] != b[0]))


def test_edit_distance_matches_the_recursive_definition():
    rng = np.random.default_rng(0)
    for _ in range(40):
        a = rng.integers(0, 3, rng.integers(0, 6)).tolist()
        b = rng.integers(0, 3, rng.integers(0, 6)).tolist()
        assert edit_distance(a, b) == _levenshtein(a, b) == edit_distance(b, a)


def test_label_error_rate_needs_one_hypothesis_per_reference():
    with pytest.raises(ValueError, match="one hypothesis per reference"):
        label_error_rate([[1]], [[1], [2]])
