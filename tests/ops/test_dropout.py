"""Dropout with inverted scaling (gradwork/ops/dropout.py): statistics, the mask reused in
backward, eval mode, p = 0 and p = 1, seeding, and bad p."""
import numpy as np
import pytest

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.tools import gradcheck


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_scaling_keeps_the_expectation(p):
    gw.manual_seed(1)
    x = gw.full((200, 500), 2.0)
    y = F.dropout(x, p)
    kept = y.detach().numpy() != 0
    # survivors are scaled by 1/(1 − p); the drop rate and the mean match within 5 σ
    np.testing.assert_allclose(y.detach().numpy()[kept], 2.0 / (1 - p), rtol=1e-6)
    n = kept.size
    assert abs((1 - kept.mean()) - p) < 5 * np.sqrt(p * (1 - p) / n)
    assert abs(y.detach().numpy().mean() - 2.0) < 5 * 2.0 * np.sqrt(p / (1 - p) / n)
    assert y.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_applies_the_same_mask(dtype):
    x = gw.tensor(np.random.default_rng(0).standard_normal((30, 40)).astype(dtype) + 5.0,
                  requires_grad=True)
    y = F.dropout(x, 0.3)
    v = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    (y * gw.tensor(v)).sum().backward()
    mask = y.detach().numpy() / x.detach().numpy()              # 0 or 1/(1 − p), x is never 0 here
    np.testing.assert_allclose(x.grad.numpy(), v * mask, rtol=1e-6)
    assert np.all(np.isclose(mask, 0) | np.isclose(mask, 1 / 0.7, rtol=1e-5))
    assert x.grad.dtype == dtype


def test_eval_mode_and_p0_are_the_identity():
    x = gw.randn(4, 5, requires_grad=True)
    for y in (F.dropout(x, 0.5, training=False), F.dropout(x, 0.0)):
        np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
        y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.ones((4, 5), np.float32))


def test_p1_zeroes_everything_and_its_gradient():
    x = gw.randn(4, 5, requires_grad=True)
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), np.zeros((4, 5), np.float32))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 5), np.float32))
    assert y.dtype == np.float32


def test_training_by_default():
    y = F.dropout(gw.ones(100), 0.5)
    assert (y.detach().numpy() == 0).any()


def test_manual_seed_repeats_the_mask_sequence():
    x = gw.ones(8, 16)

    def masks(seed):
        gw.manual_seed(seed)
        return [F.dropout(x, 0.5).detach().numpy().copy() for _ in range(3)]

    first, second = masks(7), masks(7)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[0], masks(8)[0])


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5"])
def test_bad_probability(p):
    with pytest.raises(ValueError, match=r"dropout: p must be (in \[0, 1\]|a finite number), got"):
        F.dropout(gw.randn(3), p)


def test_dropout2d_drops_whole_channels():
    gw.manual_seed(0)
    x = gw.ones(4, 6, 3, 3, requires_grad=True)
    y = F.dropout2d(x, 0.5)
    per_channel = y.detach().numpy().reshape(4, 6, 9)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d], ids=["dropout", "dropout2d"])
def test_gradcheck_with_a_fixed_mask(fn):
    # re-seeding before every call fixes the mask, so central differences see one function
    def seeded(x):
        gw.manual_seed(5)
        return fn(x, 0.4)

    x = gw.tensor(np.random.default_rng(0).standard_normal((2, 3, 2, 2)), requires_grad=True)
    assert gradcheck(seeded, [x])


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_original_dropout_equals_inverted_up_to_the_keep_probability(p):
    """Deck 001's dropout (no scaling in training, × (1 − p) at test time) and inverted
    dropout differ by the constant 1 − p in both modes, with the same mask: a net trained
    with one is the net trained with the other with the next layer scaled by 1/(1 − p)."""
    import gradwork as gw
    x = gw.randn(64, 32, dtype=gw.float64, requires_grad=True)
    gw.manual_seed(7)
    inverted = gw.nn.Dropout(p)(x)
    gw.manual_seed(7)
    original = gw.nn.Dropout(p, inverted=False)(x)
    kept = original.detach().numpy()
    np.testing.assert_allclose(kept, (1 - p) * inverted.detach().numpy(), rtol=1e-12)
    original.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (kept != 0) * 1.0)
    layer = gw.nn.Dropout(p, inverted=False).eval()
    np.testing.assert_allclose(layer(x).detach().numpy(), (1 - p) * x.detach().numpy())
    assert "inverted=False" in repr(layer)
    # the expectation over masks of the training output is the test-time output
    gw.manual_seed(0)
    big = gw.ones(200_000, dtype=gw.float64)
    assert abs(gw.nn.functional.dropout(big, p, inverted=False).numpy().mean() - (1 - p)) < 5e-3
