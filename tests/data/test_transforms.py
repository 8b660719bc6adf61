"""Transforms: one image and a batch give the same kinds of results; random ones repeat."""
import numpy as np
import pytest

from gradwork.data import transforms as T


def _images(n=5, h=6, w=7, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def test_to_tensor_layouts_and_scaling():
    imgs = _images()
    one = T.ToTensor()(imgs[0])
    assert one.shape == (3, 6, 7) and one.dtype == np.float32
    np.testing.assert_allclose(one, imgs[0].transpose(2, 0, 1) / 255, rtol=1e-6)
    batch = T.ToTensor().apply_batch(imgs)
    assert batch.shape == (5, 3, 6, 7)
    np.testing.assert_array_equal(batch[0], one)
    gray = T.ToTensor()(imgs[0, :, :, 0])
    assert gray.shape == (1, 6, 7)
    assert T.ToTensor().apply_batch(imgs[..., 0]).shape == (5, 1, 6, 7)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_normalize_per_channel():
    x = T.ToTensor().apply_batch(_images())
    out = T.Normalize([0.1, 0.2, 0.3], [0.5, 0.25, 2.0]).apply_batch(x)
    np.testing.assert_allclose(out[:, 1], (x[:, 1] - 0.2) / 0.25, rtol=1e-5)
    with pytest.raises(ValueError, match="std"):
        T.Normalize([0.1], [0.0])
    with pytest.raises(ValueError, match="channels"):
        T.Normalize([0.1, 0.2], [1, 1])(x[0])


def test_pad():
    x = np.ones((2, 3, 4, 4), np.float32)
    out = T.Pad(2)(x)
    assert out.shape == (2, 3, 8, 8) and out.sum() == x.sum() and out[0, 0, 0, 0] == 0


def test_random_crop_takes_a_window_of_the_padded_image():
    x = T.ToTensor().apply_batch(_images(n=20))
    crop = T.RandomCrop((6, 7), padding=2)
    padded = np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)])
    with T.use_generator(np.random.default_rng(0)):
        out = crop.apply_batch(x)
    assert out.shape == x.shape
    offsets = set()
    for img, pad_img in zip(out, padded):
        matches = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(pad_img[:, i:i + 6, j:j + 7], img)]
        assert matches, "each crop is a window of its padded image"
        offsets.add(matches[0])
    assert len(offsets) > 3                      # the offsets vary from image to image
    with T.use_generator(np.random.default_rng(0)):
        single = crop(x[0])
    assert single.shape == (3, 6, 7)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(20)(x[0])


def test_random_horizontal_flip():
    x = T.ToTensor().apply_batch(_images(n=64))
    with T.use_generator(np.random.default_rng(1)):
        out = T.RandomHorizontalFlip(0.5).apply_batch(x)
    flipped = [np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)]
    kept = [np.array_equal(o, i) for o, i in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 10 < sum(flipped) < 54
    assert np.array_equal(T.RandomHorizontalFlip(1.0)(x[0]), x[0][..., ::-1])
    with pytest.raises(ValueError, match="p must be"):
        T.RandomHorizontalFlip(1.5)


def test_compose_repeats_with_the_same_generator_and_accepts_plain_functions():
    pipeline = T.Compose([T.ToTensor(), T.RandomCrop(6, padding=1), T.RandomHorizontalFlip(),
                          lambda img: img * 2])
    imgs = _images(h=6, w=6)
    with T.use_generator(np.random.default_rng(5)):
        a = pipeline.apply_batch(imgs)
    with T.use_generator(np.random.default_rng(5)):
        b = pipeline.apply_batch(imgs)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 3, 6, 6) and a.max() <= 2.0
    assert "RandomCrop" in repr(pipeline)
