"""DataLoader: batching, shuffling, drop_last, the prefetch thread, exact resume."""
import threading

import numpy as np
import pytest

import gradwork as gw
from gradwork.data import DataLoader, Dataset, TensorDataset, default_collate, transforms


def _dataset(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))


def _epoch(loader):
    return [y.detach().numpy().tolist() for _, y in loader]


@pytest.mark.parametrize("prefetch", [True, False])
def test_batches_in_order_with_last_partial_batch(prefetch):
    loader = DataLoader(_dataset(10), batch_size=4, prefetch=prefetch)
    assert len(loader) == 3
    assert _epoch(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert x.shape == (4, 1) and x.dtype == np.float32 and y.dtype == np.int64


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _epoch(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_is_a_permutation_that_changes_per_epoch_and_repeats_per_seed():
    a = DataLoader(_dataset(20), batch_size=6, shuffle=True, seed=3)
    first, second = _epoch(a), _epoch(a)
    assert sorted(sum(first, [])) == list(range(20))
    assert first != second
    b = DataLoader(_dataset(20), batch_size=6, shuffle=True, seed=3)
    assert _epoch(b) == first and _epoch(b) == second
    assert _epoch(DataLoader(_dataset(20), batch_size=6, shuffle=True, seed=4)) != first


def test_default_seed_comes_from_manual_seed():
    gw.manual_seed(7)
    a = _epoch(DataLoader(_dataset(20), batch_size=5, shuffle=True))
    gw.manual_seed(7)
    assert _epoch(DataLoader(_dataset(20), batch_size=5, shuffle=True)) == a
    gen = np.random.default_rng(1)
    b = DataLoader(_dataset(20), batch_size=5, shuffle=True, generator=gen)
    assert b.seed == np.random.default_rng(1).integers(2 ** 63)


def test_state_dict_resumes_mid_epoch_exactly():
    ref = DataLoader(_dataset(23), batch_size=4, shuffle=True, seed=11)
    expected = _epoch(ref) + _epoch(ref)
    loader = DataLoader(_dataset(23), batch_size=4, shuffle=True, seed=11)
    _epoch(loader)
    it = iter(loader)
    got = [next(it)[1].detach().numpy().tolist() for _ in range(2)]
    state = loader.state_dict()
    assert state == {"seed": 11, "epoch": 1, "batch": 2}
    it.close()
    fresh = DataLoader(_dataset(23), batch_size=4, shuffle=True, seed=0)
    fresh.load_state_dict(state)
    got += _epoch(fresh)
    assert got == expected[6:]
    assert fresh.state_dict() == {"seed": 11, "epoch": 2, "batch": 0}


def test_an_abandoned_epoch_is_not_resumed_by_a_new_iter():
    loader = DataLoader(_dataset(12), batch_size=4, shuffle=True, seed=2)
    ref = DataLoader(_dataset(12), batch_size=4, shuffle=True, seed=2)
    _epoch(ref)
    it = iter(loader)
    next(it)
    it.close()
    assert _epoch(loader) == _epoch(ref)          # the second epoch, from its start


class _Noisy(Dataset):
    """A dataset whose samples draw from the transform generator."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return transforms.current_generator().random(), i


@pytest.mark.parametrize("prefetch", [True, False])
def test_transform_randomness_depends_only_on_seed_epoch_and_batch(prefetch):
    a = DataLoader(_Noisy(), batch_size=3, shuffle=True, seed=5, prefetch=prefetch)
    b = DataLoader(_Noisy(), batch_size=3, shuffle=True, seed=5, prefetch=not prefetch)
    for _ in range(2):
        xa = [x.detach().numpy().tolist() for x, _ in a]
        gw.manual_seed(123)                        # the global generator plays no part
        assert [x.detach().numpy().tolist() for x, _ in b] == xa


class _Failing(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise ValueError("bad sample 4")
        return np.float32(i)


def test_errors_in_the_background_thread_reach_the_caller():
    with pytest.raises(ValueError, match="bad sample 4"):
        _epoch_list = [b for b in DataLoader(_Failing(), batch_size=2)]


def _new_loader_threads(before):
    return [t for t in threading.enumerate()
            if t.name == "gradwork-DataLoader" and t not in before]


def test_closing_an_iterator_stops_its_thread():
    before = set(threading.enumerate())
    loader = DataLoader(_dataset(1000), batch_size=1)
    it = iter(loader)
    next(it)
    threads = _new_loader_threads(before)
    assert len(threads) == 1 and threads[0].is_alive()
    it.close()
    assert not threads[0].is_alive()
    with iter(loader) as it2:
        next(it2)
        threads = _new_loader_threads(before)
    assert threads and not any(t.is_alive() for t in threads)
    for _ in loader:                               # a finished epoch ends its thread too
        pass
    assert not any(t.is_alive() for t in _new_loader_threads(before))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(ValueError, match="seed"):
        DataLoader(_dataset(), seed=-1)
    with pytest.raises(ValueError, match="generator or seed"):
        DataLoader(_dataset(), seed=1, generator=np.random.default_rng())


def test_collate_fn_and_default_collate():
    loader = DataLoader(_dataset(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]
    batch = default_collate([{"a": 1, "b": 1.5}, {"a": 2, "b": 2.5}])
    assert batch["a"].dtype == np.int64 and batch["b"].dtype == np.float64
    with pytest.raises(ValueError, match="one shape"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot collate"):
        default_collate([object()])
