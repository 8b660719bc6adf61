"""DataLoader with worker processes (gradwork/data/worker.py) and PyTorch's loader arguments:
batches equal num_workers=0 for a seed, workers are real processes, errors and deaths reach
the caller, persistent workers survive epochs."""
import os
import time

import numpy as np
import pytest

import gradwork as gw
from gradwork.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    SequentialSampler,
    SubsetRandomSampler,
    get_worker_info,
    transforms,
)


class Slow(Dataset):
    """Each sample takes `delay` seconds and reports the pid of the process that built it."""

    def __init__(self, n=24, delay=0.0):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)
        noise = transforms.current_generator().standard_normal(2)   # the batch's randomness
        return np.array([i, i * 10.0, *noise]), os.getpid()


def _values(loader):
    return [b[0].numpy().copy() for b in loader]


def test_workers_are_processes_and_batches_equal_num_workers_0():
    ref = _values(DataLoader(Slow(), batch_size=5, shuffle=True, seed=3))
    loader = DataLoader(Slow(delay=0.01), batch_size=5, shuffle=True, seed=3, num_workers=2)
    batches = list(loader)
    pids = {int(p) for _, pid in batches for p in pid.numpy()}
    assert os.getpid() not in pids and len(pids) == 2       # two processes did the loading
    assert len(batches) == len(ref) == 5
    for (got, _), want in zip(batches, ref):
        np.testing.assert_array_equal(got.numpy(), want)
    assert loader._pool is None                            # not persistent: shut down


def test_second_epoch_and_persistent_workers():
    ref = DataLoader(Slow(), batch_size=4, shuffle=True, seed=1)
    loader = DataLoader(Slow(), batch_size=4, shuffle=True, seed=1, num_workers=2,
                        persistent_workers=True, prefetch_factor=1)
    for _ in range(2):
        for want, (got, _) in zip(_values(ref), loader):
            np.testing.assert_array_equal(got.numpy(), want)
    pids = loader._pool.pids
    list(loader)
    assert loader._pool.pids == pids                       # the same processes served again
    loader._pool.shutdown()


def test_abandoned_epoch_with_persistent_workers_does_not_leak_batches():
    """Batches still in flight from an abandoned epoch must not appear in the next one."""
    loaders = [DataLoader(Slow(), batch_size=3, shuffle=True, seed=2),
               DataLoader(Slow(), batch_size=3, shuffle=True, seed=2, num_workers=2,
                          persistent_workers=True, prefetch_factor=3)]
    epochs = []
    for loader in loaders:
        it = iter(loader)
        next(it)                                    # abandon epoch 0 after one batch
        epochs.append(_values(loader))              # epoch 1
    assert len(epochs[0]) == len(epochs[1]) == 8
    for a, b in zip(*epochs):
        np.testing.assert_array_equal(a, b)
    loaders[1]._pool.shutdown()


def test_sampler_batch_sampler_collate_fn_and_drop_last():
    ds = Slow(10)
    sampler = SubsetRandomSampler([1, 3, 5, 7, 9], generator=np.random.default_rng(0))
    loader = DataLoader(ds, batch_size=2, sampler=sampler, drop_last=True, num_workers=2,
                        collate_fn=lambda samples: [int(s[0][0]) for s in samples])
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    assert {i for b in batches for i in b} <= {1, 3, 5, 7, 9}
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=False)
    loader = DataLoader(ds, batch_sampler=bs, num_workers=2,
                        collate_fn=lambda samples: [int(s[0][0]) for s in samples])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3


def _init(worker_id):
    info = get_worker_info()
    assert info.id == worker_id and info.num_workers == 2
    os.environ["GRADWORK_TEST_WORKER"] = str(worker_id)


class WhoAmI(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return int(os.environ.get("GRADWORK_TEST_WORKER", "-1"))


def test_worker_init_fn_and_get_worker_info():
    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2, worker_init_fn=_init)
    assert sorted({int(v) for b in loader for v in b.numpy()}) == [0, 1]
    assert get_worker_info() is None


class Broken(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise KeyError("sample 4 is corrupt")
        return i


class Dies(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        os._exit(3)


def test_errors_and_dead_workers_reach_the_caller():
    with pytest.raises(RuntimeError, match="(?s)DataLoader worker process.*sample 4 is corrupt"):
        list(DataLoader(Broken(), batch_size=2, num_workers=2))
    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        list(DataLoader(Dies(), batch_size=2, num_workers=2))


def test_generator_pin_memory_and_bad_arguments():
    a = _values(DataLoader(Slow(), batch_size=5, shuffle=True,
                           generator=np.random.default_rng(7), pin_memory=True))
    b = _values(DataLoader(Slow(), batch_size=5, shuffle=True,
                           generator=np.random.default_rng(7), num_workers=2))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    ds = Slow()
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=4, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="num_workers must be a non-negative integer, got -1"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="persistent_workers need num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    assert gw.data.DataLoader is DataLoader


def test_an_abandoned_iterator_kept_alive_does_not_stop_the_next_epoch():
    """Regression: a non-persistent loader once shared one pool between a live abandoned
    iterator and the next epoch's, and collecting the old iterator shut the new one's workers
    down mid-epoch (the tutorial's `dataiter = iter(trainloader); next(dataiter)`)."""
    ref = DataLoader(Slow(), batch_size=3, shuffle=True, seed=4)
    loader = DataLoader(Slow(), batch_size=3, shuffle=True, seed=4, num_workers=2)
    old = iter(loader)
    next(old)
    next(iter(ref))
    want = _values(ref)
    got = []
    for k, (x, _) in enumerate(loader):
        if k == 2:
            old.close()                 # what garbage-collecting the old iterator does
            del old
        got.append(x.numpy().copy())
    assert len(got) == len(want) == 8
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
