"""A tiny classification problem and model for the trainer tests."""
import numpy as np

import gradwork as gw
from gradwork import nn
from gradwork.data import DataLoader, TensorDataset


def blobs(n=96, classes=3, dim=6, seed=0):
    """Gaussian blobs: class c centred at 3·e_c."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.standard_normal((n, dim)).astype(np.float32) * 0.7
    x[np.arange(n), y] += 3.0
    return TensorDataset(x, y)


def mlp(dim=6, classes=3, hidden=16, dropout=0.0, batch_norm=True):
    """Linear → BatchNorm (buffers, incl. a 0-d counter) → ReLU → Dropout → Linear."""
    norm = nn.BatchNorm1d(hidden) if batch_norm else nn.Identity()
    return nn.Sequential(nn.Linear(dim, hidden), norm, nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(hidden, classes))


def loaders(batch_size=16, seed=0, prefetch=True):
    train = DataLoader(blobs(), batch_size, shuffle=True, seed=seed, prefetch=prefetch)
    val = DataLoader(blobs(48, seed=1), 24, prefetch=prefetch)
    return train, val


def make_run(dropout=0.2, seed=0, batch_norm=True):
    """A fresh (model, optimizer, scheduler, train loader, val loader), all seeded."""
    gw.manual_seed(seed)
    model = mlp(dropout=dropout, batch_norm=batch_norm)
    opt = gw.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = gw.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    train, val = loaders(seed=seed)
    return model, opt, sched, train, val


def weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
