"""Dataset, TensorDataset, Subset, random_split, ArrayDataset, the catalog and sequences."""
import numpy as np
import pytest

import gradwork as gw
from gradwork.data import (
    AddingProblem,
    AnBn,
    ArrayDataset,
    CopyMemory,
    SequenceReversal,
    Subset,
    TensorDataset,
    load_dataset,
    random_split,
)


def test_tensor_dataset_and_subset():
    ds = TensorDataset(np.arange(12).reshape(6, 2), gw.tensor([0, 1, 0, 1, 0, 1]))
    x, y = ds[2]
    assert x.detach().numpy().tolist() == [4, 5] and int(y.item()) == 0
    sub = Subset(ds, [5, 1])
    assert len(sub) == 2 and sub[0][0].detach().numpy().tolist() == [10, 11]
    xb, yb = sub.get_batch([1, 0])
    assert xb.detach().numpy().tolist() == [[2, 3], [10, 11]]
    with pytest.raises(ValueError, match="first dimension"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(IndexError, match="indices"):
        Subset(ds, [6])


def test_random_split():
    ds = TensorDataset(np.arange(10))
    a, b = random_split(ds, [7, 3], generator=np.random.default_rng(0))
    got = sorted([int(a[i][0].item()) for i in range(7)] + [int(b[i][0].item()) for i in range(3)])
    assert got == list(range(10))
    assert [len(s) for s in random_split(ds, [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError, match="lengths"):
        random_split(ds, [4, 4])


def test_array_dataset_checks_and_batches():
    imgs = np.zeros((4, 5, 5), np.uint8)
    with pytest.raises(ValueError, match="4 images but labels"):
        ArrayDataset(imgs, [0, 1, 2])
    ds = ArrayDataset(imgs, [0, 1, 2, 3])
    x, y = ds.get_batch([0, 3])
    assert x.shape == (2, 1, 5, 5) and y.detach().numpy().tolist() == [0, 3]
    assert ds[1][0].shape == (1, 5, 5)


def test_bundled_mnist_split():
    train, test = load_dataset("mnist")
    assert (len(train), len(test)) == (4000, 1000)
    assert np.bincount(train.targets).tolist() == [400] * 10
    assert np.bincount(test.targets[:100]).tolist() == [10] * 10   # any prefix is balanced
    x, y = test.get_batch(range(8))
    assert x.shape == (8, 1, 28, 28) and x.dtype == np.float32
    assert abs(float(train.get_batch(range(4000))[0].detach().numpy().mean())) < 0.1  # normalised
    assert not set(map(bytes, train.data[:50])) & set(map(bytes, test.data))


def test_mnist_augmentation_pads_lenet_input():
    train, _ = load_dataset("mnist", augment=True, pad=2)
    x, _ = train.get_batch(range(3))
    assert x.shape == (3, 1, 32, 32)
    with pytest.raises(ValueError, match="valid names"):
        load_dataset("imagenet")
    with pytest.raises(ValueError, match="--data-dir"):
        load_dataset("cifar10")


def test_adding_problem():
    ds = AddingProblem(64, seq_len=20, seed=1)
    x, y = ds.get_batch(range(64))
    assert x.shape == (64, 20, 2) and y.shape == (64, 1)
    assert (x.detach().numpy()[:, :, 1].sum(axis=1) == 2).all()
    assert (x.detach().numpy()[:, :10, 1].sum(axis=1) == 1).all()  # one marker in each half
    xs = x.detach().numpy()
    np.testing.assert_allclose((xs[..., 0] * xs[..., 1]).sum(axis=1), y.detach().numpy()[:, 0],
                               rtol=1e-6)
    np.testing.assert_array_equal(AddingProblem(64, 20, seed=1).tensors[0], x.detach().numpy())


def test_copy_memory():
    x, y = CopyMemory(5, delay=7, copy_len=3, num_symbols=4, seed=0).get_batch(range(5))
    assert x.shape == y.shape == (5, 13)
    np.testing.assert_array_equal(y.detach().numpy()[:, -3:], x.detach().numpy()[:, :3])
    assert (x.detach().numpy()[:, 3 + 7 - 1] == 5).all() and (y.detach().numpy()[:, :-3] == 0).all()
    assert x.detach().numpy()[:, :3].min() >= 1 and x.detach().numpy()[:, :3].max() <= 4


def test_anbn():
    ds = AnBn(200, max_n=6, seed=0)
    x, y = ds.get_batch(range(200))
    assert x.shape == (200, 12) and set(y.detach().numpy().tolist()) == {0, 1}
    for row, label in zip(x.detach().numpy(), y.detach().numpy()):
        s = "".join(" ab"[t] for t in row).lstrip()
        assert " " not in s and s == "a" * s.count("a") + "b" * s.count("b")
        assert (s.count("a") == s.count("b")) == bool(label)
    with pytest.raises(ValueError, match="max_n"):
        AnBn(10, max_n=1)


def test_sequence_reversal():
    x, y = SequenceReversal(4, seq_len=6, num_symbols=3).get_batch(range(4))
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy()[:, ::-1])
    with pytest.raises(ValueError, match="seq_len"):
        SequenceReversal(4, seq_len=0)
