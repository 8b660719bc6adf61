"""data/tagging.py: the context-tagging task and the bound on a left-to-right tagger (issue 17,
item 6)."""
import numpy as np
import pytest

from gradwork.data.tagging import (
    IGNORE_INDEX,
    ContextTagging,
    causal_accuracy_bound,
    context_labels,
)
from gradwork.errors import ArgumentError


def test_labels_by_hand():
    x = np.array([[3, 1, 3, 2, 3, 1, 0, 0]])
    #              3: first, 1: first, 3: between, 2: only, 3: last, 1: last, padding
    np.testing.assert_array_equal(context_labels(x, [6]),
                                  [[1, 1, 3, 0, 2, 2, IGNORE_INDEX, IGNORE_INDEX]])


def test_labels_equal_the_definition_frame_by_frame():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 4, (30, 9))
    lengths = rng.integers(1, 10, 30)
    y = context_labels(x, lengths)
    for i, n in enumerate(lengths):
        for t in range(9):
            if t >= n:
                assert y[i, t] == IGNORE_INDEX
            else:
                row = list(x[i, :n])
                assert y[i, t] == 2 * (row[t] in row[:t]) + (row[t] in row[t + 1:])


def test_the_data_set_is_seeded_padded_and_labelled():
    data = ContextTagging(50, num_symbols=5, min_len=3, max_len=9, seed=4)
    x, y = data.tensors
    assert x.shape == y.shape == (50, 9) and len(data) == 50
    real = np.arange(9)[None, :] < data.lengths[:, None]
    assert (x[real] >= 1).all() and (x[real] <= 5).all() and (x[~real] == 0).all()
    assert (y[~real] == IGNORE_INDEX).all() and set(np.unique(y[real])) == {0, 1, 2, 3}
    np.testing.assert_array_equal(x, ContextTagging(50, 5, 3, 9, seed=4).tensors[0])
    with pytest.raises(ArgumentError, match="min_len"):
        ContextTagging(5, min_len=9, max_len=3)


def test_the_causal_bound_is_what_the_best_past_only_guess_scores():
    """Monte Carlo: guessing "seen after" from the position alone, with the majority answer
    per position, scores the bound (within sampling error)."""
    data = ContextTagging(20_000, num_symbols=4, min_len=4, max_len=10, seed=0)
    x, y = data.tensors
    real = y != IGNORE_INDEX
    after = (y % 2 == 1)
    majority = np.array([after[:, t][real[:, t]].mean() > 0.5 for t in range(10)])
    guess_right = after == majority[None, :]
    empirical = guess_right[real].mean()
    assert empirical == pytest.approx(causal_accuracy_bound(4, 4, 10), abs=0.01)
    assert 0.6 < causal_accuracy_bound() < 0.7
