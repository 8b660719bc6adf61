"""Samplers (gradwork/data/sampler.py) and random_split: PyTorch's semantics (which indices,
how many, batch grouping, lengths), seeded reproducibility, errors that name the argument."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.data import (
    BatchSampler,
    DataLoader,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)

DS = list(range(10))


def test_sequential_and_batch_sampler_match_pytorch():
    for drop in (False, True):
        for bs in (1, 3, 4, 10, 11):
            mine = list(BatchSampler(SequentialSampler(DS), bs, drop))
            ref = list(torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(DS), bs,
                                                     drop))
            assert mine == ref
            assert len(BatchSampler(SequentialSampler(DS), bs, drop)) == len(ref)


def test_random_sampler_permutation_replacement_and_num_samples():
    s = RandomSampler(DS, generator=np.random.default_rng(0))
    a, b = list(s), list(s)
    assert sorted(a) == DS and a != b                       # a new permutation each pass
    assert list(RandomSampler(DS, generator=np.random.default_rng(0))) == a
    gw.manual_seed(5)
    c = list(RandomSampler(DS))
    gw.manual_seed(5)
    assert list(RandomSampler(DS)) == c                     # global seed repeats runs
    r = list(RandomSampler(DS, replacement=True, num_samples=50))
    assert len(r) == 50 and set(r) <= set(DS)
    long = list(RandomSampler(DS, num_samples=25))
    assert len(long) == 25 and sorted(long[:10]) == DS and sorted(long[10:20]) == DS
    assert len(RandomSampler(DS, num_samples=25)) == len(torch.utils.data.RandomSampler(
        DS, num_samples=25))


def test_subset_random_sampler():
    s = SubsetRandomSampler([2, 4, 6], generator=np.random.default_rng(1))
    assert sorted(s) == [2, 4, 6] and len(s) == 3


def test_weighted_random_sampler_frequencies_and_zero_weights():
    w = [0.0, 1.0, 3.0, 0.0]
    draws = list(WeightedRandomSampler(w, 4000, generator=np.random.default_rng(0)))
    counts = np.bincount(draws, minlength=4)
    assert counts[0] == counts[3] == 0
    assert 2.6 < counts[2] / counts[1] < 3.4
    no_rep = list(WeightedRandomSampler(w, 2, replacement=False))
    assert sorted(no_rep) == [1, 2]
    with pytest.raises(ValueError, match="num_samples \\(3\\) cannot exceed the number of "
                                         "non-zero weights \\(2\\)"):
        WeightedRandomSampler(w, 3, replacement=False)
    with pytest.raises(ValueError, match="WeightedRandomSampler: weights must be"):
        WeightedRandomSampler([-1.0, 2.0], 3)
    with pytest.raises(ValueError, match="num_samples must be a positive integer"):
        WeightedRandomSampler([1.0], 0)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [10, 0]])
def test_random_split_lengths_match_pytorch(lengths):
    ds = TensorDataset(gw.arange(10))
    mine = random_split(ds, lengths, generator=np.random.default_rng(0))
    ref = torch.utils.data.random_split(list(range(10)), lengths)
    assert [len(s) for s in mine] == [len(s) for s in ref]
    got = sorted(int(s[i][0].item()) for s in mine for i in range(len(s)))
    assert got == list(range(10))


@pytest.mark.parametrize("n", [1, 5, 10, 11, 16])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_pytorch_without_shuffle(n, replicas, drop_last):
    from torch.utils.data import DistributedSampler as TorchDistributed

    from gradwork.data import DistributedSampler
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        ref = TorchDistributed(data, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


def test_distributed_sampler_shuffle_partitions_one_permutation_per_epoch():
    from gradwork.data import DistributedSampler
    data = list(range(10))
    ranks = [DistributedSampler(data, 3, r, seed=5) for r in range(3)]
    seen = [list(s) for s in ranks]
    assert all(len(s) == 4 for s in seen)                       # ceil(10 / 3)
    flat = [i for k in range(4) for s in seen for i in s[k:k + 1]]
    assert sorted(set(flat)) == data and len(flat) == 12        # 2 padded from the start
    for s in ranks:
        s.set_epoch(1)
    assert [list(s) for s in ranks] != seen                     # a new shuffle
    assert [list(s) for s in ranks] == [list(s) for s in ranks]  # the same for every call


def test_distributed_sampler_refuses_a_bad_rank():
    from gradwork.data import DistributedSampler
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval "
                       r"\[0, 2\]"):
        DistributedSampler(range(5), 3, 3)
    with pytest.raises(ValueError, match="pass num_replicas and rank"):
        DistributedSampler(range(5))


def test_distributed_sampler_global_batches_are_the_shuffled_loaders_for_every_world_size():
    # Global batch k of R ranks (batches of B/R each) = batch k of one shuffled DataLoader of
    # B with the same seed: what lets a data-parallel run resume with another rank count.
    data, B = list(range(48)), 8
    single = [sorted(b.tolist()) for b in DataLoader(data, B, shuffle=True, seed=3)]
    for replicas in (1, 2, 4):
        loaders = [DataLoader(data, B // replicas, seed=3,
                              sampler=DistributedSampler(data, replicas, r, seed=3))
                   for r in range(replicas)]
        merged = [sorted(sum((b.tolist() for b in parts), [])) for parts in zip(*loaders)]
        assert merged == single, replicas
