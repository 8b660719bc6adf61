"""Batch normalisation accelerates training (decks 000/002, Ioffe & Szegedy 2015 §4.1): the
paper's MNIST network — three fully connected hidden layers of 100 sigmoid units — with and
without BN, trained by plain SGD at a grid of learning rates."""
from .. import nn
from .claim import DOES_NOT_HOLD, HOLDS, INCONCLUSIVE, Claim, Verdict
from .experiment import image_data, mlp, seeded, train
from .plotting import curves

_TARGET = 0.90                          # test accuracy that counts as "trained"
_LRS = (0.1, 0.5, 2.0, 8.0, 32.0)


def batchnorm_experiment(ctx):
    train_set, test_set = image_data(ctx, 4000, 1000)
    side = train_set[0][0].shape
    inputs = int(side[0] * side[1] * side[2])
    epochs, lrs = (1, _LRS[:2]) if ctx.quick else (4, _LRS)
    rows = []
    for seed in ctx.seeds:
        for bn in (False, True):
            for lr in lrs:
                ctx.log(f"{'BN' if bn else 'no BN'}, lr {lr}, seed {seed}")
                model = seeded(seed, lambda bn=bn: mlp([inputs, 100, 100, 100, 10], nn.Sigmoid,
                                                       batch_norm=bn))
                for r in train(model, train_set, test_set, epochs=epochs, lr=lr, momentum=0.0,
                               seed=seed, batch_size=60, eval_every=2 if ctx.quick else 10):
                    rows.append({"seed": seed, "batch_norm": bn, "base_lr": lr, **r})
    return rows


def _steps_to_target(rows, seed, bn, lr):
    for r in rows:
        if r["seed"] == seed and r["batch_norm"] == bn and r["base_lr"] == lr \
                and 1 - r["test_err"] >= _TARGET:
            return r["step"]
    return None


def decide_batchnorm(rows):
    """Holds if, in every seed, (a) at every learning rate where the plain net reaches 90 %
    test accuracy the BN net reaches it in fewer steps, and (b) the largest learning rate at
    which the BN net reaches 90 % is higher than the plain net's. Does not hold if (a) or (b)
    fails in every seed."""
    lrs = sorted({r["base_lr"] for r in rows})
    faster_all, higher_all, numbers = [], [], {}
    for s in sorted({r["seed"] for r in rows}):
        steps = {(bn, lr): _steps_to_target(rows, s, bn, lr) for bn in (False, True)
                 for lr in lrs}
        faster = all(steps[(True, lr)] is not None and steps[(True, lr)] < steps[(False, lr)]
                     for lr in lrs if steps[(False, lr)] is not None)
        max_lr = {bn: max([lr for lr in lrs if steps[(bn, lr)] is not None], default=0.0)
                  for bn in (False, True)}
        faster_all.append(faster)
        higher_all.append(max_lr[True] > max_lr[False])
        numbers.update({f"seed{s}_max_lr_plain": max_lr[False], f"seed{s}_max_lr_bn":
                        max_lr[True]})
        numbers.update({f"seed{s}_steps_lr{lr}_{'bn' if bn else 'plain'}":
                        steps[(bn, lr)] if steps[(bn, lr)] is not None else "never"
                        for bn in (False, True) for lr in lrs})
    if all(faster_all) and all(higher_all):
        return Verdict(HOLDS, numbers)
    if not any(faster_all) or not any(higher_all):
        return Verdict(DOES_NOT_HOLD, numbers)
    return Verdict(INCONCLUSIVE, numbers, "the seeds disagree")


def plot_batchnorm(rows, path, ctx):
    seed = min(r["seed"] for r in rows)
    series = []
    for bn in (False, True):
        for lr in sorted({r["base_lr"] for r in rows}):
            pts = [r for r in rows if r["seed"] == seed and r["batch_norm"] == bn
                   and r["base_lr"] == lr]
            series.append((f"{'BN' if bn else 'no BN'}, lr {lr}", [r["step"] for r in pts],
                           [100 * (1 - r["test_err"]) for r in pts]))
    return curves(path, [(f"test accuracy (seed {seed})", "SGD step", "test accuracy (%)",
                          series, False)],
                  "3×100 sigmoid MLP with and without batch norm (Ioffe & Szegedy 2015, Fig. 1a)")


BATCHNORM_SPEED = Claim(
    "batchnorm_speed", "000_3d6ebcc1da027892.txt", "Batch normalization",
    "Batch normalisation lets a network reach a given accuracy in fewer steps and train at "
    "higher learning rates.",
    "Ioffe & Szegedy 2015, §4.1 and §3.3",
    "holds if, in every seed, wherever the plain 3×100 sigmoid MLP reaches 90 % test accuracy "
    "the BN MLP reaches it in fewer steps, and the largest learning rate of the grid "
    "(0.1, 0.5, 2, 8, 32; plain SGD, batch 60, 4 epochs on 4,000 digits) at which the BN MLP "
    "reaches 90 % is higher than the plain MLP's",
    batchnorm_experiment, decide_batchnorm, plot_batchnorm, "≈ 3 min (2 seeds)",
    default_seeds=2, data_options=("mnist", "fashion-mnist", "cifar10"))
