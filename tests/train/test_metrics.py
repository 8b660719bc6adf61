"""Metrics: top-k hits, confusion matrix, and non-finite scores that never count as right."""
import numpy as np

from gradwork.train.metrics import (
    Meter,
    accuracy,
    confusion_matrix,
    per_class_accuracy,
    predict,
    topk_correct,
)

NAN, INF = float("nan"), float("inf")


def test_topk_counts_hits():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    assert topk_correct(scores, np.array([1, 2, 0]), (1, 2, 5)) == {1: 1, 2: 2, 5: 3}


def test_nan_or_inf_scores_never_score_as_correct():
    scores = np.array([[NAN, NAN, NAN], [1.0, NAN, 0.0], [INF, 0.0, 0.0], [0.0, 2.0, 1.0]])
    target = np.array([0, 1, 0, 1])
    assert topk_correct(scores, target, (1, 5)) == {1: 1, 5: 1}     # only the finite row
    assert accuracy(scores, target) == [0.25]
    np.testing.assert_array_equal(predict(scores), [-1, -1, -1, 1])


def test_meter_reports_the_non_finite_rows():
    meter = Meter()
    meter.update(0.5, np.full((4, 3), NAN), np.zeros(4, np.int64))
    meter.update(0.5, np.eye(3)[:2], np.array([0, 1]))
    assert (meter.correct1, meter.count, meter.nonfinite) == (2, 6, 4)
    assert Meter(**meter.state_dict()).nonfinite == 4


def test_confusion_matrix_leaves_out_non_predictions_and_recall_counts_them():
    preds, targets = np.array([0, -1, 1, 1]), np.array([0, 0, 1, 0])
    m = confusion_matrix(preds, targets, 2)
    np.testing.assert_array_equal(m, [[1, 1], [0, 1]])
    np.testing.assert_allclose(per_class_accuracy(m, np.bincount(targets)), [1 / 3, 1.0])
