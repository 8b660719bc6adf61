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
