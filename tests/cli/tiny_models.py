"""Small models for the CLI tests, reached as `tests.cli.tiny_models:NAME`."""
import os
import signal
import time

from gradwork import nn


def mlp(num_classes, in_channels=1):
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 28 * 28, 32), nn.BatchNorm1d(32),
                         nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, num_classes))


class _Slow(nn.Module):
    """An MLP that sleeps in each training forward, so a test can kill it between epochs."""

    def __init__(self, num_classes):
        super().__init__()
        self.net = mlp(num_classes)

    def forward(self, x):
        if self.training:
            time.sleep(0.04)
        return self.net(x)


def slow_mlp(num_classes):
    return _Slow(num_classes)


class _Signalling(nn.Module):
    """An MLP that sends its own process `signum` at its 3rd training forward, as a user's
    Ctrl-C or a scheduler's SIGTERM would."""

    def __init__(self, num_classes, signum):
        super().__init__()
        self.net, self.signum, self.calls = mlp(num_classes), signum, 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.calls == 3:
                os.kill(os.getpid(), self.signum)
        return self.net(x)


def sigterm_mlp(num_classes):
    return _Signalling(num_classes, signal.SIGTERM)


def sigint_mlp(num_classes):
    return _Signalling(num_classes, signal.SIGINT)


def plain_mlp(num_classes, in_channels=1):
    """No dropout, no batch norm: the same steps on K ranks as on one (data-parallel tests)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 28 * 28, 32), nn.ReLU(),
                         nn.Linear(32, num_classes))


class _SlowPlain(nn.Module):
    """plain_mlp sleeping in each training forward, so a test can act mid-training."""

    def __init__(self, num_classes):
        super().__init__()
        self.net = plain_mlp(num_classes)

    def forward(self, x):
        if self.training:
            time.sleep(0.05)
        return self.net(x)


def slow_plain_mlp(num_classes):
    return _SlowPlain(num_classes)


class _FailingOnRank1(nn.Module):
    """plain_mlp whose forward raises on MPI rank 1 at its third training step."""

    def __init__(self, num_classes):
        super().__init__()
        self.net, self.calls = plain_mlp(num_classes), 0

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.calls == 3 and os.environ.get("PMI_RANK") == "1":
                raise RuntimeError("rank 1 fails on purpose")
        return self.net(x)


def failing_on_rank_1(num_classes):
    return _FailingOnRank1(num_classes)


def bn_mlp(num_classes, in_channels=1):
    """plain_mlp with a BatchNorm1d, no dropout: data-parallel runs differ from one process by
    the batch statistics alone (per rank, or the global batch's with --sync-batchnorm)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 28 * 28, 32), nn.BatchNorm1d(32),
                         nn.ReLU(), nn.Linear(32, num_classes))
