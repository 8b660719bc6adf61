"""The ImageNet transforms of the decks' recipes, with torchvision's semantics on PIL images:
`Resize`, `CenterCrop`, `RandomResizedCrop`, `ColorJitter`, and AlexNet's PCA `Lighting`
noise (on C×H×W arrays, after `ToTensor`). Also reachable as `gradwork.data.transforms.X`.

    train: RandomResizedCrop(224), RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4),
           ToTensor(), Lighting(0.1), Normalize(IMAGENET_MEAN, IMAGENET_STD)
    eval:  Resize(256), CenterCrop(224), ToTensor(), Normalize(IMAGENET_MEAN, IMAGENET_STD)

Random draws come from the generator the DataLoader binds per batch (`current_generator()`),
in torchvision's order, so worker processes repeat runs exactly. Where torchvision's
algorithm is deterministic given its draws, the output is the same: the resizes are Pillow's
own `Image.resize` (antialiased, as torchvision's PIL path), the colour changes Pillow's
`ImageEnhance`, as torchvision's `_functional_pil`.
"""
import math
import numbers
import warnings

from ..backend import np
from ..errors import ArgumentError, DTypeError
from .transforms import Transform, current_generator

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The ImageNet RGB covariance's eigenvalues and eigenvectors (columns), pixels in [0, 1], that
# AlexNet-style lighting noise uses in fb.resnet.torch (datasets/imagenet.lua, `pca`) and the
# PyTorch ImageNet scripts copied from it; Krizhevsky et al. 2012 §4.1 do not publish theirs.
IMAGENET_PCA_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_PCA_EIGVEC = ((-0.5675, 0.7192, 0.4009),
                       (-0.5808, -0.0045, -0.8140),
                       (-0.5836, -0.6948, 0.4203))

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "box", "hamming", "lanczos")


def _is_pil(img):
    try:
        from PIL import Image
    except ImportError:                                       # pragma: no cover
        return False
    return isinstance(img, Image.Image)


def _need_pil(img, name):
    if not _is_pil(img):
        raise DTypeError(f"{name}: expected a PIL image (place it before ToTensor), got "
                         f"{type(img).__name__}")


def _resample(interpolation, name):
    from PIL import Image
    if isinstance(interpolation, str) and interpolation.lower() in _INTERPOLATIONS:
        return getattr(Image.Resampling, interpolation.upper())
    if isinstance(interpolation, int) and interpolation in {int(m) for m in Image.Resampling}:
        return Image.Resampling(interpolation)
    raise ArgumentError(f"{name}: interpolation must be one of {', '.join(_INTERPOLATIONS)} (or "
                        f"a PIL resampling filter), got {interpolation!r}")


def _size_arg(size, name, allow_int=True):
    """An int (the shorter side, or a square) or (h, w), as torchvision's `size`."""
    if isinstance(size, (list, tuple)) and len(size) == 1:
        size = size[0]
    if allow_int and isinstance(size, numbers.Integral) and not isinstance(size, bool) \
            and size > 0:
        return int(size)
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in size):
        return (int(size[0]), int(size[1]))
    raise ArgumentError(f"{name}: size must be a positive int or a pair (h, w), got {size!r}")


def resized_output_size(height, width, size, max_size=None):
    """(new_h, new_w) as torchvision's `_compute_resized_output_size`: an int sets the shorter
    side and the longer one becomes int(size · long / short) (capped by `max_size`); a pair
    (h, w) is the size itself."""
    if not isinstance(size, int):
        return size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    if max_size is not None:
        if max_size <= size:
            raise ArgumentError(f"Resize: max_size = {max_size} must be strictly greater than "
                                f"the requested size for the smaller edge size (size={size})")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


class Resize(Transform):
    """Resize a PIL image: `size` an int sets the shorter side (aspect kept, the longer side
    int(size · long / short)), (h, w) sets both. Pillow's `resize` with `interpolation`
    (default bilinear), which antialiases when shrinking, as torchvision's PIL path (whose
    `antialias=False` is ignored with a warning, as here)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        self.size = _size_arg(size, "Resize")
        self.resample = _resample(interpolation, "Resize")
        if max_size is not None and not isinstance(self.size, int):
            raise ArgumentError(f"Resize: max_size is only supported for an int size, got "
                                f"size={size!r}")
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        _need_pil(img, "Resize")
        if self.antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        h, w = resized_output_size(img.height, img.width, self.size, self.max_size)
        if (h, w) == (img.height, img.width):
            return img
        return img.resize((w, h), self.resample)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.resample.name.lower()})"


def center_crop_box(height, width, crop_h, crop_w):
    """(pad_ltrb, top, left) of torchvision's `center_crop`: zero padding when the crop is
    larger than the image ((c − s) // 2 before, (c − s + 1) // 2 after), then the offsets
    int(round((s − c) / 2.0)) (Python's round: halves to even)."""
    pad = ((crop_w - width) // 2 if crop_w > width else 0,
           (crop_h - height) // 2 if crop_h > height else 0,
           (crop_w - width + 1) // 2 if crop_w > width else 0,
           (crop_h - height + 1) // 2 if crop_h > height else 0)
    height, width = height + pad[1] + pad[3], width + pad[0] + pad[2]
    return pad, int(round((height - crop_h) / 2.0)), int(round((width - crop_w) / 2.0))


class CenterCrop(Transform):
    """Cut the central `size` (int or (h, w)) window of a PIL image or an array [..., H, W],
    zero-padding first when the image is smaller (torchvision's `CenterCrop`)."""

    def __init__(self, size):
        size = _size_arg(size, "CenterCrop")
        self.size = (size, size) if isinstance(size, int) else size

    def __call__(self, img):
        th, tw = self.size
        if _is_pil(img):
            pad, top, left = center_crop_box(img.height, img.width, th, tw)
            if any(pad):
                from PIL import ImageOps
                img = ImageOps.expand(img, border=pad, fill=0)
            return img.crop((left, top, left + tw, top + th))
        x = np.asarray(img)
        pad, top, left = center_crop_box(x.shape[-2], x.shape[-1], th, tw)
        if any(pad):
            x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad[1], pad[3]), (pad[0], pad[2])])
        return x[..., top:top + th, left:left + tw]

    apply_batch = __call__

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


def random_resized_crop_params(height, width, scale, ratio, generator):
    """(i, j, h, w) of torchvision's `RandomResizedCrop.get_params`: up to 10 tries of an area
    fraction s ~ U(scale) and a log aspect ratio ~ U(log ratio), w = round(√(s·H·W·r)),
    h = round(√(s·H·W / r)); the first that fits is placed at i ~ U{0..H−h}, j ~ U{0..W−w}.
    Else the whole image cropped to the nearest allowed ratio, centred. Szegedy et al. 2015
    (GoogLeNet, §6: 8 %–100 % of the area, ratio 3/4–4/3)."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * float(generator.uniform(scale[0], scale[1]))
        aspect_ratio = math.exp(float(generator.uniform(log_ratio[0], log_ratio[1])))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = int(generator.integers(0, height - h + 1))
            j = int(generator.integers(0, width - w + 1))
            return i, j, h, w
    in_ratio = float(width) / float(height)               # fallback: a central crop
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


class RandomResizedCrop(Transform):
    """A random crop of random area fraction (`scale`) and aspect ratio (`ratio`, drawn
    log-uniformly), resized to `size` with Pillow (`interpolation`, default bilinear):
    torchvision's `RandomResizedCrop`, its 10-try algorithm and central fallback."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation="bilinear", antialias=True):
        size = _size_arg(size, "RandomResizedCrop")
        self.size = (size, size) if isinstance(size, int) else size
        for name, v in (("scale", scale), ("ratio", ratio)):
            if not (isinstance(v, (tuple, list)) and len(v) == 2 and 0 < v[0] <= v[1]):
                raise ArgumentError(f"RandomResizedCrop: {name} must be a pair (min, max) with "
                                    f"0 < min <= max, got {v!r}")
        self.scale, self.ratio = tuple(map(float, scale)), tuple(map(float, ratio))
        self.resample = _resample(interpolation, "RandomResizedCrop")
        self.antialias = antialias

    @staticmethod
    def get_params(img, scale, ratio, generator=None):
        return random_resized_crop_params(img.height, img.width, scale, ratio,
                                          generator or current_generator())

    def __call__(self, img):
        _need_pil(img, "RandomResizedCrop")
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return img.crop((j, i, j + w, i + h)).resize((self.size[1], self.size[0]),
                                                     self.resample)

    def __repr__(self):
        return (f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio="
                f"{tuple(round(r, 4) for r in self.ratio)})")


def _jitter_range(value, name, center=1.0, bound=(0.0, math.inf), clip_first_on_zero=True):
    """torchvision's `ColorJitter._check_input`: v → [center − v, center + v] (clipped at 0),
    or a pair as is; None when it changes nothing."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ArgumentError(f"ColorJitter: if {name} is a single number, it must be non "
                                f"negative, got {value}")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise ArgumentError(f"ColorJitter: {name} should be a single number or a list/tuple "
                            f"with length 2, got {value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ArgumentError(f"ColorJitter: {name} values should be between {bound}, but got "
                            f"{value}")
    return None if value[0] == value[1] == center else tuple(value)


def adjust_hue(img, hue_factor):
    """torchvision's PIL `adjust_hue`: HSV's H channel (uint8) shifted by
    `np.array(f · 255).astype(np.uint8)`, wrapping round; L, 1, I and F images are returned
    as they are. That cast truncates towards zero then wraps on x86 (for f < 0 C leaves it
    undefined): made explicit here, the same on every machine."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ArgumentError(f"adjust_hue: hue_factor {hue_factor} is not in [-0.5, 0.5].")
    from PIL import Image
    if img.mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.uint8(int(hue_factor * 255) % 256)          # uint8 addition wraps
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(img.mode)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue of a PIL image, in a random order
    (torchvision's `ColorJitter`): factors b, c, s ~ U[max(0, 1 − v), 1 + v], hue
    ~ U[−v, v] (v ≤ 0.5), applied by ImageEnhance.Brightness / Contrast / Color and
    `adjust_hue`. Draws: a permutation of the four, then each factor that is on."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5),
                                 clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue, generator=None):
        """(order, b, c, s, h): a permutation of 0..3 and each factor (None where off)."""
        gen = generator or current_generator()
        order = [int(k) for k in gen.permutation(4)]
        factors = [None if r is None else float(gen.uniform(r[0], r[1]))
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    @staticmethod
    def apply(img, order, b, c, s, h):
        """The four adjustments in `order` (0 brightness, 1 contrast, 2 saturation, 3 hue)."""
        from PIL import ImageEnhance
        for k in order:
            if k == 0 and b is not None:
                img = ImageEnhance.Brightness(img).enhance(b)
            elif k == 1 and c is not None:
                img = ImageEnhance.Contrast(img).enhance(c)
            elif k == 2 and s is not None:
                img = ImageEnhance.Color(img).enhance(s)
            elif k == 3 and h is not None:
                img = adjust_hue(img, h)
        return img

    def __call__(self, img):
        _need_pil(img, "ColorJitter")
        return self.apply(img, *self.get_params(self.brightness, self.contrast,
                                                self.saturation, self.hue))

    def __repr__(self):
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Lighting(Transform):
    """AlexNet's PCA colour noise on a C×H×W (or N×C×H×W) RGB array in [0, 1]: every pixel
    gets + Σ_i α_i λ_i p_i, α_i ~ N(0, alphastd²) drawn once per image, λ_i and p_i the
    eigenvalues and eigenvectors (columns of `eigvec`) of the RGB covariance (Krizhevsky et
    al. 2012, §4.1; α std 0.1; ImageNet's values by default, see IMAGENET_PCA_EIGVAL)."""

    def __init__(self, alphastd=0.1, eigval=IMAGENET_PCA_EIGVAL, eigvec=IMAGENET_PCA_EIGVEC):
        if not isinstance(alphastd, numbers.Real) or alphastd < 0:
            raise ArgumentError(f"Lighting: alphastd must be a non-negative number, got "
                                f"{alphastd!r}")
        self.alphastd = float(alphastd)
        self.eigval = np.asarray(eigval, dtype=np.float64)
        self.eigvec = np.asarray(eigvec, dtype=np.float64)
        if self.eigval.shape != (3,) or self.eigvec.shape != (3, 3):
            raise ArgumentError(f"Lighting: eigval must have shape (3,) and eigvec (3, 3), got "
                                f"{self.eigval.shape} and {self.eigvec.shape}")

    def _offsets(self, n):
        """(n, 3): Σ_i α_i λ_i p_i per image."""
        alpha = current_generator().normal(0.0, self.alphastd, size=(n, 3))
        return (alpha * self.eigval) @ self.eigvec.T

    def _check(self, x, where):
        if _is_pil(x):
            raise DTypeError("Lighting: expected a C×H×W array (place it after ToTensor), got "
                             "a PIL image")
        if not np.issubdtype(x.dtype, np.floating):
            raise DTypeError(f"Lighting: expected a floating array in [0, 1] (after ToTensor), "
                             f"got dtype {x.dtype}")
        if x.ndim < 3 or x.shape[-3] != 3:
            raise ArgumentError(f"Lighting: expected a 3-channel {where} array, got shape "
                                f"{x.shape}")

    def __call__(self, img):
        x = np.asarray(img)
        self._check(x, "C×H×W")
        if self.alphastd == 0:
            return x
        rgb = self._offsets(1)[0]
        return (x + rgb.reshape(3, 1, 1)).astype(x.dtype, copy=False)

    def apply_batch(self, imgs):
        x = np.asarray(imgs)
        self._check(x, "N×C×H×W")
        if self.alphastd == 0:
            return x
        rgb = self._offsets(x.shape[0])
        return (x + rgb[:, :, None, None]).astype(x.dtype, copy=False)

    def __repr__(self):
        return f"Lighting(alphastd={self.alphastd})"
