"""PNG pictures of runs (matplotlib's Agg renderer: no display needed): loss and accuracy
curves of one run, several runs overlaid, and a confusion matrix."""
import io
import os

from ..serialization import atomic_write_bytes
from .logging import read_csv


def _figure(width, height):
    """A figure drawn by Agg, without pyplot (no global state, no display, faster import)."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _save(fig, path):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    return path


def _curves(axes, rows, label):
    epochs = [r["epoch"] for r in rows]
    for split, style in (("train", "--"), ("val", "-")):
        for ax, metric in zip(axes, ("loss", "acc1")):
            values = [r.get(f"{split}_{metric}") for r in rows]
            if any(v is not None for v in values):
                ax.plot(epochs, values, style, marker="o", markersize=3,
                        label=f"{label}{split}".strip())


def _decorate(axes, title):
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
    axes[1].set(xlabel="epoch", ylabel="top-1 accuracy", title="accuracy")
    from matplotlib.ticker import MaxNLocator
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        axes[0].figure.suptitle(title)


def plot_history(history, path, title=None):
    """Loss and top-1 accuracy per epoch (train dashed, validation solid) → `path`."""
    fig = _figure(10, 4)
    axes = fig.subplots(1, 2)
    _curves(axes, history, "")
    _decorate(axes, title)
    return _save(fig, path)


def plot_runs(run_dirs, path):
    """Overlay the curves of several runs (their metrics.csv) in one figure → `path`."""
    fig = _figure(11, 4.5)
    axes = fig.subplots(1, 2)
    for run in run_dirs:
        rows = read_csv(os.path.join(run, "metrics.csv"))
        _curves(axes, rows, os.path.basename(os.path.normpath(run)) + " ")
    _decorate(axes, "runs compared")
    return _save(fig, path)


def plot_confusion_matrix(matrix, classes, path, title="confusion matrix"):
    """Counts of true class (rows) × predicted class (columns) → `path`."""
    n = len(classes)
    fig = _figure(max(4, 0.45 * n + 2), max(3.5, 0.45 * n + 1.5))
    ax = fig.subplots()
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax)
    if n <= 30:
        ax.set_xticks(range(n), classes, rotation=90, fontsize=7)
        ax.set_yticks(range(n), classes, fontsize=7)
        if n <= 15:
            for i in range(n):
                for j in range(n):
                    ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _save(fig, path)
