"""Tensor factories (gradwork/ops/creation.py): dtypes as PyTorch infers them, shapes, and
seeded randomness that repeats bit for bit."""
import numpy as np
import pytest
import torch

import gradwork as gw


@pytest.mark.parametrize("data", [1.5, 3, True, [1.0, 2.0], [1, 2], [[True, False]],
                                  np.float64(2.0), np.arange(3), np.ones(2, np.float64),
                                  np.ones(2, np.float16), [[1, 2.5]]], ids=repr)
def test_tensor_infers_dtype_like_pytorch(data):
    t, ref = gw.tensor(data), torch.tensor(data)
    assert t.dtype == np.dtype(str(ref.dtype)[6:])
    np.testing.assert_array_equal(t.detach().numpy(), ref.numpy())


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3)
    t, s = gw.tensor(a), gw.from_numpy(a)
    a[0] = 1.0
    assert t.detach().numpy()[0] == 0.0 and s.detach().numpy()[0] == 1.0
    assert gw.tensor(gw.tensor([1.0])).dtype == np.float32
    assert gw.tensor([1, 2], dtype=gw.float64).dtype == np.float64
    assert gw.tensor([1, 2], dtype="float16").dtype == np.float16


@pytest.mark.parametrize("name", ["zeros", "ones", "randn", "rand", "empty"])
def test_factories_shapes_and_dtypes(name):
    fn = getattr(gw, name)
    for args in [(2, 3), ((2, 3),), ([4],), ((),)]:
        t = fn(*args)
        assert t.shape == torch.zeros(*args).shape and t.dtype == np.float32
    assert fn(2, dtype=gw.float64).dtype == np.float64
    t = fn(2, 2, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_full_arange_linspace_eye_like():
    for args in [((2, 3), 1.5), ((2,), 7), ((1,), True)]:
        assert gw.full(*args).dtype == np.dtype(str(torch.full(*args).dtype)[6:])
    for args in [(5,), (1, 4), (0, 1, 0.25), (1.0, 3.0), (5, 0, -2)]:
        a, r = gw.arange(*args), torch.arange(*args)
        assert a.dtype == np.dtype(str(r.dtype)[6:])
        np.testing.assert_allclose(a.detach().numpy(), r.numpy())
    np.testing.assert_allclose(gw.linspace(0, 1, 5).detach().numpy(),
                               torch.linspace(0, 1, 5).numpy())
    np.testing.assert_array_equal(gw.eye(3, 2).detach().numpy(), torch.eye(3, 2).numpy())
    x = gw.randn(2, 3, dtype=gw.float64)
    for name in ["zeros_like", "ones_like", "randn_like", "rand_like"]:
        y = getattr(gw, name)(x)
        assert y.shape == (2, 3) and y.dtype == np.float64
    assert gw.full_like(x, 2).detach().numpy().sum() == 12


def test_randint_signatures():
    assert gw.randint(10, (3,)).shape == (3,)
    a = gw.randint(2, 5, (100,))
    assert a.dtype == np.int64 and a.detach().numpy().min() >= 2 and a.detach().numpy().max() < 5
    assert gw.randint(3, size=(2, 2)).shape == (2, 2)
    assert sorted(gw.randperm(6).tolist()) == list(range(6))


def test_manual_seed_repeats_randn_and_rand_bit_for_bit():
    def draw(seed):
        gw.manual_seed(seed)
        return [gw.randn(3, 4).detach().numpy(), gw.rand(5).detach().numpy(),
                gw.randn(2, dtype=gw.float64).detach().numpy(),
                gw.randint(0, 100, (4,)).detach().numpy(),
                gw.randn_like(gw.zeros(2)).detach().numpy()]

    first, second, other = draw(123), draw(123), draw(124)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_rand_statistics():
    gw.manual_seed(0)
    u, z = gw.rand(20000).detach().numpy(), gw.randn(20000).detach().numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_requires_grad_needs_a_float_dtype():
    with pytest.raises(RuntimeError, match="only .*floating point.* can require gradients, got "
                                           ".*int64"):
        gw.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        gw.zeros(2, dtype=gw.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        gw.arange(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        gw.tensor([1, 2]).requires_grad_()


def test_manual_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="manual_seed: seed must be an int, got float"):
        gw.manual_seed(1.5)
