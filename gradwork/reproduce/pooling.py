"""Max pooling gives (some) invariance to small translations (deck 001): a net's features
change less under 1–3-pixel shifts of its input with max pooling than with strided
convolutions of the same output size in its place."""
from .. import nn
from ..autograd import no_grad
from ..backend import np
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import as_tensor, image_data, in_channels, seeded, train
from .plotting import curves

_SHIFTS = (1, 2, 3)


class SmallConvNet(nn.Module):
    """conv5×5(16) → ReLU → [2×2 max-pool | nothing] → conv5×5(32) → ReLU → [max-pool | …]
    → linear; without pooling the convolutions stride by 2, so the features have the same
    7×7 size."""

    def __init__(self, channels, pool):
        super().__init__()
        stride = 1 if pool else 2
        down = (lambda: nn.MaxPool2d(2)) if pool else (lambda: nn.Identity())
        self.features = nn.Sequential(nn.Conv2d(channels, 16, 5, stride, 2), nn.ReLU(), down(),
                                      nn.Conv2d(16, 32, 5, stride, 2), nn.ReLU(), down())
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


def _shift(images, dx, dy):
    """Translate a batch (N, C, H, W) by (dy, dx) pixels, filling with the border value."""
    out = np.roll(images, (dy, dx), axis=(2, 3))
    if dy:
        out[:, :, :dy] = images[:, :, :1]
    if dx:
        out[:, :, :, :dx] = images[:, :, :, :1]
    return out


def _feature_change(model, x, shift):
    """Mean over images of ‖f(shift(x)) − f(x)‖ / ‖f(x)‖, over right and down shifts."""
    model.eval()
    with no_grad():
        base = model.features(as_tensor(x))._data.reshape(len(x), -1)
        changes = []
        for dx, dy in ((shift, 0), (0, shift)):
            moved = model.features(as_tensor(_shift(x, dx, dy)))._data.reshape(len(x), -1)
            changes.append(np.linalg.norm(moved - base, axis=1) /
                           np.maximum(np.linalg.norm(base, axis=1), 1e-12))
    return float(np.mean(changes))


def pooling_experiment(ctx):
    train_set, test_set = image_data(ctx, 4000, 500)
    x = test_set.get_batch(np.arange(len(test_set)))[0]._data
    rows = []
    for seed in ctx.seeds:
        for pool in (True, False):
            name = "max pooling" if pool else "strided conv"
            ctx.log(f"{name}, seed {seed}")
            model = seeded(seed, lambda pool=pool: SmallConvNet(in_channels(ctx), pool))
            history = train(model, train_set, test_set, epochs=1 if ctx.quick else 3, lr=0.05,
                            seed=seed)
            for shift in _SHIFTS:
                rows.append({"seed": seed, "net": name, "shift": shift,
                             "relative_feature_change": _feature_change(model, x, shift),
                             "test_acc": 1 - history[-1]["test_err"]})
    return rows


def decide_pooling(rows):
    """Holds if, in every seed, the pooled net's features change less than the strided net's
    under 1- and 2-pixel shifts; does not hold if they change more in every seed."""
    pick = {(r["net"], r["seed"], r["shift"]): r["relative_feature_change"] for r in rows}
    less, numbers = [], {}
    for s in sorted({r["seed"] for r in rows}):
        less.append(all(pick[("max pooling", s, k)] < pick[("strided conv", s, k)]
                        for k in (1, 2)))
        numbers.update({f"seed{s}_shift{k}_{n.split()[0]}": pick[(n, s, k)] for k in _SHIFTS
                        for n in ("max pooling", "strided conv")})
    if all(less):
        return Verdict(HOLDS, numbers)
    return Verdict(DOES_NOT_HOLD if not any(less) else INCONCLUSIVE, numbers)


def plot_pooling(rows, path, ctx):
    series = []
    for net in ("max pooling", "strided conv"):
        for seed in sorted({r["seed"] for r in rows}):
            pts = [r for r in rows if r["net"] == net and r["seed"] == seed]
            series.append((f"{net} (seed {seed})", [r["shift"] for r in pts],
                           [r["relative_feature_change"] for r in pts]))
    return curves(path, [("feature change", "shift (pixels)", "‖f(shifted) − f(x)‖ / ‖f(x)‖",
                          series, False)], "Translation invariance of max pooling (deck 001)")


POOLING_INVARIANCE = Claim(
    "pooling_invariance", "001_ce574f492ba17d29.txt", "Max pooling",
    "Max pooling makes features (somewhat) invariant to small translations of the input.",
    "deck 001; Boureau, Ponce & LeCun 2010; Scherer, Müller & Behnke 2010",
    "holds if, in every seed, the trained net with 2×2 max pooling changes its features less "
    "(relative L2) than the same net with stride-2 convolutions instead, under 1- and "
    "2-pixel shifts of 500 test digits (3 epochs on 4,000 digits)",
    pooling_experiment, decide_pooling, plot_pooling, "≈ 1 min (3 seeds)", default_seeds=3,
    data_options=("mnist", "fashion-mnist"))
