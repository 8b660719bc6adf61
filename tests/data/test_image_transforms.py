"""The ImageNet transforms against torchvision's documented algorithms (torchvision itself is not
installable here): hand-worked cases, and Pillow's own results where torchvision's PIL path is
a Pillow call."""
import math
import platform

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from gradwork.data import transforms as T
from gradwork.data.image_transforms import (
    IMAGENET_PCA_EIGVAL,
    IMAGENET_PCA_EIGVEC,
    adjust_hue,
    center_crop_box,
    random_resized_crop_params,
    resized_output_size,
)
from gradwork.errors import ArgumentError, DTypeError


def _img(h=50, w=80, seed=0, mode="RGB"):
    shape = (h, w, 3) if mode == "RGB" else (h, w)
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8))


class Scripted:
    """A generator that returns scripted draws and records what was asked."""

    def __init__(self, uniforms=(), integers=()):
        self.uniforms, self.ints, self.calls = list(uniforms), list(integers), []

    def uniform(self, low, high):
        self.calls.append(("uniform", low, high))
        return self.uniforms.pop(0)

    def integers(self, low, high):
        self.calls.append(("integers", low, high))
        return self.ints.pop(0)


# ------------------------------------------------------------------ Resize
@pytest.mark.parametrize("h, w, size, expect", [
    (50, 80, 36, (36, 57)),          # shorter side h: w = int(36 · 80 / 50) = int(57.6)
    (80, 50, 36, (57, 36)),
    (50, 50, 36, (36, 36)),
    (333, 500, 256, (256, 384)),     # int(384.38)
    (50, 80, (20, 30), (20, 30)),
])
def test_resize_size_rule(h, w, size, expect):
    assert resized_output_size(h, w, size if isinstance(size, tuple) else size) == expect
    img = _img(h, w)
    out = T.Resize(size)(img)
    assert (out.height, out.width) == expect
    ref = img.resize((expect[1], expect[0]), Image.BILINEAR)   # torchvision's PIL path
    assert np.array_equal(np.asarray(out), np.asarray(ref))


def test_resize_max_size_interpolation_and_identity():
    assert resized_output_size(50, 200, 40, max_size=100) == (25, 100)  # int(100·40/160)
    with pytest.raises(ArgumentError, match="max_size = 40 must be strictly greater"):
        resized_output_size(50, 200, 40, max_size=40)
    img = _img(40, 60)
    assert T.Resize(40)(img) is img                          # already that size
    out = T.Resize(20, interpolation="nearest")(img)
    assert np.array_equal(np.asarray(out), np.asarray(img.resize((30, 20), Image.NEAREST)))
    with pytest.raises(ArgumentError, match="interpolation must be one of"):
        T.Resize(20, interpolation="cubic")
    with pytest.raises(ArgumentError, match="size must be a positive int"):
        T.Resize(0)
    with pytest.raises(DTypeError, match="expected a PIL image"):
        T.Resize(20)(np.zeros((3, 8, 8), np.float32))
    with pytest.warns(UserWarning, match="antialias is ignored"):
        T.Resize(20, antialias=False)(img)


# ------------------------------------------------------------------ CenterCrop
def test_center_crop_offsets_round_half_to_even():
    # torchvision: top = int(round((h − th) / 2.0)); round(2.5) = 2, round(3.5) = 4
    assert center_crop_box(7, 9, 2, 2) == ((0, 0, 0, 0), 2, 4)
    assert center_crop_box(5, 5, 2, 2) == ((0, 0, 0, 0), 2, 2)      # round(1.5) = 2
    x = np.arange(7 * 9).reshape(1, 7, 9)
    assert np.array_equal(T.CenterCrop(2)(x), x[:, 2:4, 4:6])
    img = Image.fromarray(np.arange(7 * 9, dtype=np.uint8).reshape(7, 9))
    assert np.array_equal(np.asarray(T.CenterCrop(2)(img)), x[0, 2:4, 4:6])


def test_center_crop_pads_a_small_image():
    # 3×3 into 6×5: pad left (5−3)//2 = 1, top (6−3)//2 = 1, right (5−3+1)//2 = 1,
    # bottom (6−3+1)//2 = 2, then the crop is the whole padded image
    assert center_crop_box(3, 3, 6, 5) == ((1, 1, 1, 2), 0, 0)
    x = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    expect = np.zeros((6, 5), np.uint8)
    expect[1:4, 1:4] = x
    assert np.array_equal(T.CenterCrop((6, 5))(x), expect)
    assert np.array_equal(np.asarray(T.CenterCrop((6, 5))(Image.fromarray(x))), expect)


# ------------------------------------------------------------------ RandomResizedCrop
def test_random_resized_crop_first_try():
    gen = Scripted([0.5, 0.0], [0, 37])                    # s = 0.5, log r = 0: a 100 × 100 crop
    assert random_resized_crop_params(100, 200, (0.08, 1.0), (3 / 4, 4 / 3), gen) == \
        (0, 37, 100, 100)
    lo, hi = math.log(3 / 4), math.log(4 / 3)
    assert gen.calls == [("uniform", 0.08, 1.0), ("uniform", lo, hi), ("integers", 0, 1),
                         ("integers", 0, 101)]


def test_random_resized_crop_retries_until_it_fits():
    # try 1: s = 1, r = 4/3 → w = round(√(20000·4/3)) = 163, h = round(√15000) = 122 > 100;
    # try 2: s = 0.08, r = 3/4 → w = round(√1200) = 35, h = round(√2133.3) = 46
    gen = Scripted([1.0, math.log(4 / 3), 0.08, math.log(3 / 4)], [10, 20])
    assert random_resized_crop_params(100, 200, (0.08, 1.0), (3 / 4, 4 / 3), gen) == \
        (10, 20, 46, 35)
    assert gen.calls[-2:] == [("integers", 0, 55), ("integers", 0, 166)]


@pytest.mark.parametrize("h, w, expect", [
    (10, 1000, (0, 493, 10, 13)),     # too wide: h = 10, w = round(10 · 4/3) = 13, centred
    (1000, 10, (493, 0, 13, 10)),     # too tall: w = 10, h = round(10 / (3/4)) = 13
])
def test_random_resized_crop_fallback(h, w, expect):
    gen = np.random.default_rng(0)                          # no try can fit these shapes
    assert random_resized_crop_params(h, w, (0.08, 1.0), (3 / 4, 4 / 3), gen) == expect
    script = Scripted([0.5, 0.0] * 10)
    assert random_resized_crop_params(h, w, (0.08, 1.0), (3 / 4, 4 / 3), script) == expect
    assert len(script.calls) == 20 and all(c[0] == "uniform" for c in script.calls)
    # within the ratio range the fallback is the whole image (scale > 1 never fits)
    assert random_resized_crop_params(10, 12, (2.0, 3.0), (3 / 4, 4 / 3), gen) == (0, 0, 10, 12)


def test_random_resized_crop_is_crop_then_pillow_resize():
    img = _img(60, 90)
    with T.use_generator(np.random.default_rng(5)):
        out = T.RandomResizedCrop((24, 32))(img)
    i, j, h, w = random_resized_crop_params(60, 90, (0.08, 1.0), (3 / 4, 4 / 3),
                                            np.random.default_rng(5))
    ref = img.crop((j, i, j + w, i + h)).resize((32, 24), Image.BILINEAR)
    assert out.size == (32, 24) and np.array_equal(np.asarray(out), np.asarray(ref))
    with pytest.raises(ArgumentError, match="scale must be a pair"):
        T.RandomResizedCrop(8, scale=(1.0, 0.5))


# ------------------------------------------------------------------ ColorJitter
def test_color_jitter_ranges_as_torchvision():
    cj = T.ColorJitter(brightness=0.4, contrast=1.5, saturation=(0.2, 0.9), hue=0.1)
    assert cj.brightness == (0.6, 1.4) and cj.contrast == (0.0, 2.5)   # clipped at 0
    assert cj.saturation == (0.2, 0.9) and cj.hue == (-0.1, 0.1)
    assert T.ColorJitter(brightness=(1, 1)).brightness is None          # changes nothing
    for kw, msg in [({"hue": 0.6}, "hue values should be between"),
                    ({"brightness": -1}, "must be non negative"),
                    ({"contrast": "x"}, "single number or a list/tuple")]:
        with pytest.raises(ArgumentError, match=msg):
            T.ColorJitter(**kw)


@pytest.mark.parametrize("which, enhancer", [("brightness", ImageEnhance.Brightness),
                                             ("contrast", ImageEnhance.Contrast),
                                             ("saturation", ImageEnhance.Color)])
def test_color_jitter_factor_is_image_enhance(which, enhancer):
    img = _img(12, 16, seed=2)
    out = T.ColorJitter(**{which: (0.7, 0.7)})(img)        # a fixed factor
    assert np.array_equal(np.asarray(out), np.asarray(enhancer(img).enhance(0.7)))


def test_brightness_hand_worked():
    img = Image.fromarray(np.full((2, 2, 3), 100, np.uint8))
    assert (np.asarray(T.ColorJitter(brightness=(0.7, 0.7))(img)) == 70).all()


def test_hue_hand_worked():
    red = Image.fromarray(np.array([[[255, 0, 0]]], np.uint8))
    # H = 0 shifted by uint8(255/3) = 85 → 120°: green; by −85 ≡ 171 (mod 256) → blue side
    assert np.asarray(adjust_hue(red, 1 / 3)).tolist() == [[[0, 255, 0]]]
    h = np.asarray(adjust_hue(red, -1 / 3).convert("HSV"))[0, 0, 0]
    assert h == 171
    gray = _img(4, 4, mode="L")
    assert adjust_hue(gray, 0.2) is gray
    with pytest.raises(ArgumentError, match="hue_factor 0.7 is not in"):
        adjust_hue(red, 0.7)


def test_hue_shift_is_torchvisions_uint8_cast():
    factors = np.linspace(-0.5, 0.5, 101)
    if platform.machine() not in ("x86_64", "AMD64"):      # negative float → uint8: UB in C
        factors = factors[factors >= 0]
    img = _img(6, 7, seed=4)
    hsv = np.asarray(img.convert("HSV"))
    for f in factors:
        with np.errstate(all="ignore"):
            shift = np.array(f * 255).astype(np.uint8)     # torchvision's line
        ref = Image.merge("HSV", [Image.fromarray((hsv[..., 0] + shift).astype(np.uint8)),
                                  *img.convert("HSV").split()[1:]]).convert("RGB")
        assert np.array_equal(np.asarray(adjust_hue(img, f)), np.asarray(ref)), f


def test_color_jitter_random_order_and_draws():
    kw = dict(brightness=(0.5, 0.5), contrast=(1.5, 1.5), saturation=(0.3, 0.3),
              hue=(0.1, 0.1))
    img = _img(10, 12, seed=3)
    steps = {0: lambda x: ImageEnhance.Brightness(x).enhance(0.5),
             1: lambda x: ImageEnhance.Contrast(x).enhance(1.5),
             2: lambda x: ImageEnhance.Color(x).enhance(0.3),
             3: lambda x: adjust_hue(x, 0.1)}
    outs = set()
    for seed in range(6):
        order = [int(k) for k in np.random.default_rng(seed).permutation(4)]  # drawn first
        ref = img
        for k in order:
            ref = steps[k](ref)
        with T.use_generator(np.random.default_rng(seed)):
            out = T.ColorJitter(**kw)(img)
        assert np.array_equal(np.asarray(out), np.asarray(ref))
        outs.add(np.asarray(out).tobytes())
    assert len(outs) > 1                                    # the order matters
    order, b, c, s, h = T.ColorJitter.get_params((0.6, 1.4), None, None, (-0.1, 0.1),
                                                 np.random.default_rng(1))
    rng = np.random.default_rng(1)
    assert order == rng.permutation(4).tolist() and (c, s) == (None, None)
    assert (b, h) == (rng.uniform(0.6, 1.4), rng.uniform(-0.1, 0.1))


# ------------------------------------------------------------------ Lighting
def test_lighting_adds_pca_offset():
    x = np.full((3, 4, 5), 0.5, np.float32)
    with T.use_generator(np.random.default_rng(0)):
        out = T.Lighting(0.1)(x)
    alpha = np.random.default_rng(0).normal(0, 0.1, 3)
    # fb.resnet.torch: rgb = (eigvec · alpha.view(1, 3) · eigval.view(1, 3)).sum(1)
    eigvec, eigval = np.array(IMAGENET_PCA_EIGVEC), np.array(IMAGENET_PCA_EIGVAL)
    rgb = (eigvec * alpha[None] * eigval[None]).sum(1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 0.5 + rgb[:, None, None] * np.ones((3, 4, 5)), rtol=1e-6)
    torch = pytest.importorskip("torch")
    t_rgb = (torch.tensor(eigvec) * torch.tensor(alpha).view(1, 3)
             * torch.tensor(eigval).view(1, 3)).sum(1).numpy()
    np.testing.assert_allclose(rgb, t_rgb, rtol=1e-12)


def test_lighting_batch_equals_images_and_errors():
    x = np.random.default_rng(1).random((4, 3, 2, 2)).astype(np.float32)
    with T.use_generator(np.random.default_rng(7)):
        batch = T.Lighting(0.1).apply_batch(x)
    with T.use_generator(np.random.default_rng(7)):
        one = np.stack([T.Lighting(0.1)(im) for im in x])
    np.testing.assert_allclose(batch, one, rtol=1e-6)
    assert not np.allclose(batch[0] - x[0], batch[1] - x[1])      # one α per image
    with pytest.raises(DTypeError, match="after ToTensor"):
        T.Lighting()(_img(4, 4))
    with pytest.raises(DTypeError, match="floating array"):
        T.Lighting()(np.zeros((3, 2, 2), np.uint8))
    with pytest.raises(ArgumentError, match="3-channel"):
        T.Lighting()(np.zeros((1, 2, 2), np.float32))


# ------------------------------------------------------------------ flip, ToTensor on PIL
def test_flip_and_to_tensor_on_pil():
    img = _img(3, 4)
    flipped = T.RandomHorizontalFlip(p=1.0)(img)
    assert np.array_equal(np.asarray(flipped), np.asarray(img)[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    x = T.ToTensor()(img)
    assert x.shape == (3, 3, 4) and x.dtype == np.float32
    np.testing.assert_allclose(x, np.asarray(img).transpose(2, 0, 1) / 255, rtol=1e-6)
    assert T.ToTensor()(_img(3, 4, mode="L")).shape == (1, 3, 4)


def test_imagenet_pipeline_repeats_for_a_seed():
    train = T.Compose([T.RandomResizedCrop(16), T.RandomHorizontalFlip(),
                       T.ColorJitter(0.4, 0.4, 0.4), T.ToTensor(), T.Lighting(0.1),
                       T.Normalize(T.IMAGENET_MEAN, T.IMAGENET_STD)])
    img = _img(30, 40)
    runs = []
    for _ in range(2):
        with T.use_generator(np.random.default_rng(11)):
            runs.append(train(img))
    assert runs[0].shape == (3, 16, 16) and np.array_equal(runs[0], runs[1])
