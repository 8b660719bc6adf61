"""The two pictures the claims draw: curves (one line per series) and grouped bars, PNG by
matplotlib's Agg renderer, written atomically."""
from ..train.plots import _figure, _save


def curves(path, panels, title):
    """`panels`: list of (ax_title, xlabel, ylabel, series, log_y) with series a list of
    (label, xs, ys)."""
    fig = _figure(5.0 * len(panels), 3.8)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (ax_title, xlabel, ylabel, series, log_y) in zip(axes, panels):
        for label, xs, ys in series:
            ax.plot(xs, ys, marker="o", markersize=2.5, label=label)
        ax.set(title=ax_title, xlabel=xlabel, ylabel=ylabel)
        if log_y:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def bars(path, groups, series, values, ylabel, title, log_y=False):
    """Grouped bars: `values[s][g]` for series s (legend) and group g (x axis)."""
    fig = _figure(min(14.0, max(5.0, 0.9 * len(groups) + 2)), 4.2)
    ax = fig.subplots()
    width = 0.8 / max(len(series), 1)
    for s, label in enumerate(series):
        xs = [g + (s - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, values[s], width, label=label)
    many = len(groups) > 8
    ax.set_xticks(range(len(groups)), groups, fontsize=8, rotation=45 if many else 0,
                  ha="right" if many else "center")
    ax.set(ylabel=ylabel, title=title)
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)
    return _save(fig, path)
