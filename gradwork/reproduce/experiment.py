"""What the training claims share: the data (the bundled digits by default, as arrays with
their standard normalisation), a seeded training loop that records one row per epoch, and
evaluation. The loop reads top to bottom: batch, forward, loss (+ penalty), backward, step,
schedule, record."""
import time

from .. import backend, nn, optim
from ..autograd import Tensor, no_grad
from ..backend import np
from ..data import Subset, dataset_info, load_dataset
from ..nn import functional as F
from ..train.metrics import predict


def image_data(ctx, n_train, n_test, augment=False, pad=0, val_fraction=0.0):
    """(train, test[, val]) datasets of `ctx.data`, the first `n_train` / `n_test` samples
    (in quick mode at most 128 / 128); `val_fraction` holds out the end of the training
    subset as a validation set (never the test set)."""
    if ctx.quick:
        n_train, n_test = min(n_train, 128), min(n_test, 128)
    train, test = load_dataset(ctx.data, ctx.data_dir, augment=augment, pad=pad)
    n_train, n_test = min(n_train, len(train)), min(n_test, len(test))
    test = Subset(test, range(n_test))
    if not val_fraction:
        return Subset(train, range(n_train)), test
    n_val = max(1, int(round(n_train * val_fraction)))
    val = Subset(load_dataset(ctx.data, ctx.data_dir, augment=False, pad=pad)[0],
                 range(n_train - n_val, n_train))
    return Subset(train, range(n_train - n_val)), test, val


def batches(dataset, batch_size, rng=None):
    """(x, y) Tensors over `dataset`, shuffled by `rng` when given."""
    order = np.arange(len(dataset)) if rng is None else rng.permutation(len(dataset))
    for start in range(0, len(order), batch_size):
        yield dataset.get_batch(order[start:start + batch_size])


def evaluate(model, dataset, batch_size=500):
    """(mean cross-entropy, error rate) of `model` on `dataset`, in eval mode."""
    was_training, total_loss, wrong = model.training, 0.0, 0
    model.eval()
    with no_grad():
        for x, y in batches(dataset, batch_size):
            logits = model(x)
            total_loss += float(F.cross_entropy(logits, y, reduction="sum").item())
            wrong += int((predict(logits) != y._data).sum())      # a NaN row is wrong
    model.train(was_training)
    return total_loss / len(dataset), wrong / len(dataset)


def train(model, train_set, test_set, *, epochs, lr, seed, batch_size=64, momentum=0.9,
          weight_decay=0.0, penalty=None, penalty_strength=0.0, val_set=None, plateau=False,
          cosine=False, eval_every=None, log=None):
    """Train `model` with SGD (PyTorch's momentum form) and return one dict per epoch (or per
    `eval_every` steps): step, epoch, lr, train_loss / train_err (running means over the
    steps since the last row, as He et al. plot training error), test_loss, test_err and
    val_err when `val_set` is given. `penalty` is a function of the model's parameters
    (deck 002's L2/L1/elastic net) added as `penalty_strength · R(W)`; `plateau` divides
    the learning rate by 10 when the validation error has not improved for 2 epochs."""
    rng = np.random.default_rng(seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=2) if plateau \
        else optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs) if cosine else None
    rows, step, seen, loss_sum, wrong, start = [], 0, 0, 0.0, 0, time.perf_counter()

    def record(epoch):
        nonlocal seen, loss_sum, wrong
        row = {"step": step, "epoch": epoch, "lr": opt.param_groups[0]["lr"],
               "train_loss": loss_sum / max(seen, 1), "train_err": wrong / max(seen, 1)}
        row["test_loss"], row["test_err"] = evaluate(model, test_set)
        if val_set is not None:
            row["val_loss"], row["val_err"] = evaluate(model, val_set)
        row["seconds"] = round(time.perf_counter() - start, 2)
        seen, loss_sum, wrong = 0, 0.0, 0
        rows.append(row)
        if log:
            log(f"  epoch {epoch} step {step}: train err {row['train_err']:.4f}, "
                f"test err {row['test_err']:.4f}")
        return row

    model.train()
    for epoch in range(1, epochs + 1):
        for x, y in batches(train_set, batch_size, rng):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            total = loss + penalty(model) * penalty_strength if penalty else loss
            opt.zero_grad()
            total.backward()
            opt.step()
            step += 1
            seen += len(y._data)
            loss_sum += float(loss.item()) * len(y._data)
            wrong += int((predict(logits) != y._data).sum())
            if eval_every and step % eval_every == 0:
                record(epoch)
        if not eval_every:
            row = record(epoch)
            if plateau:
                sched.step(row["val_err"])
            elif sched is not None:
                sched.step()
    return rows


def seeded(seed, build):
    """`build()` with gradwork's global generator seeded (initialisation, dropout masks)."""
    backend.manual_seed(seed)
    return build()


def mlp(sizes, activation=nn.ReLU, batch_norm=False, dropout=0.0):
    """Flatten → [Linear → (BN) → activation → (dropout)]* → Linear."""
    layers = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if batch_norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(activation())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def as_tensor(array):
    return Tensor(np.ascontiguousarray(array, dtype=np.float32))


def in_channels(ctx):
    """Image channels of the claim's data set (1 for digits, 3 for CIFAR)."""
    return dataset_info(ctx.data).in_channels
