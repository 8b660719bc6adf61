"""Classification metrics: top-k accuracy, confusion matrix, per-class accuracy, and
`Meter`, the running sums of one epoch (kept in checkpoints so a resumed epoch reports the
same numbers).

A row of scores holding a NaN or an infinity is no prediction: it counts as wrong for every k
(argmax of NaN would otherwise pick a class, and a NaN target score outranks nothing, which
made NaN logits score 100 %), and `Meter` counts such rows so that they can be reported."""
from ..autograd import Tensor
from ..backend import np, to_device


def _array(x):
    """A host NumPy array of `x` (a GPU tensor's scores are copied: metrics count on the CPU)."""
    return to_device(x._data, "cpu") if isinstance(x, Tensor) else np.asarray(x)


def topk_correct(output, target, ks=(1, 5)):
    """How many rows of `output` (N, C) have `target` among their k largest scores, for each
    k in `ks` (a k larger than C counts every row)."""
    scores, target = _array(output), _array(target).astype(np.int64)
    if scores.ndim != 2 or target.shape != (scores.shape[0],):
        raise ValueError(f"topk_correct: expected output (N, C) and target (N,), got "
                         f"{scores.shape} and {target.shape}")
    counts = {}
    # rank of the target = number of classes scoring strictly higher than it
    rank = (scores > scores[np.arange(len(target)), target][:, None]).sum(axis=1)
    rank[~finite_rows(scores)] = np.iinfo(np.int64).max       # no prediction: never a hit
    for k in ks:
        counts[k] = int((rank < k).sum())
    return counts


def finite_rows(scores):
    """(N,) bool: the rows of (N, C) `scores` with no NaN or infinity."""
    return np.isfinite(_array(scores)).all(axis=1)


def predict(output):
    """The predicted class of each row of (N, C) `output`; -1 where the row is not finite."""
    scores = _array(output)
    return np.where(finite_rows(scores), scores.argmax(axis=1), -1)


def accuracy(output, target, topk=(1,)):
    """Top-k accuracies (fractions), PyTorch-example style: a list, one per k."""
    n = _array(target).shape[0]
    counts = topk_correct(output, target, topk)
    return [counts[k] / max(n, 1) for k in topk]


def confusion_matrix(predictions, targets, num_classes):
    """M[i, j] = number of samples of true class i predicted as class j; a prediction of -1
    (`predict` of a non-finite row) is in no column, so the rows' sums can fall short of the
    class counts: pass those to `per_class_accuracy`."""
    p, t = _array(predictions).astype(np.int64), _array(targets).astype(np.int64)
    m = np.zeros((num_classes, num_classes), np.int64)
    keep = p >= 0
    np.add.at(m, (t[keep], p[keep]), 1)
    return m


def per_class_accuracy(matrix, totals=None):
    """Recall of each class from a confusion matrix (NaN for a class with no samples);
    `totals`: samples per class (default: the matrix's row sums)."""
    totals = matrix.sum(axis=1) if totals is None else np.asarray(totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / totals


class Meter:
    """Sums over an epoch: loss × samples, top-1 and top-5 hits, samples, and the samples whose
    scores were not finite (counted as wrong)."""

    def __init__(self, loss_sum=0.0, correct1=0, correct5=0, count=0, nonfinite=0):
        self.loss_sum, self.correct1, self.correct5, self.count = loss_sum, correct1, correct5, \
            count
        self.nonfinite = nonfinite

    def update(self, loss, output, target):
        n = _array(target).shape[0]
        self.loss_sum += float(loss) * n
        self.count += n
        if _array(output).ndim == 2 and _array(target).ndim == 1:
            hits = topk_correct(output, target, (1, 5))
            self.correct1 += hits[1]
            self.correct5 += hits[5]
            self.nonfinite += int((~finite_rows(output)).sum())

    @property
    def loss(self):
        return self.loss_sum / max(self.count, 1)

    @property
    def acc1(self):
        return self.correct1 / max(self.count, 1)

    @property
    def acc5(self):
        return self.correct5 / max(self.count, 1)

    def state_dict(self):
        return {"loss_sum": self.loss_sum, "correct1": self.correct1, "correct5": self.correct5,
                "count": self.count, "nonfinite": self.nonfinite}
