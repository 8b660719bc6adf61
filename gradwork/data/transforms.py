"""Image transforms on NumPy arrays, torchvision's names: `Compose`, `ToTensor`, `Normalize`,
`Pad`, `RandomCrop`, `RandomHorizontalFlip` (deck 002's data augmentation: random crops of a padded
image and mirror images, Krizhevsky et al. 2012; He et al. 2015 for CIFAR).

Each transform maps one image (`__call__`, C×H×W after `ToTensor`) or a whole batch with a
leading N (`apply_batch`, vectorised: one draw per image, no Python loop over images).
`image_transforms` adds the ImageNet transforms on PIL images (`Resize`, `CenterCrop`,
`RandomResizedCrop`, `ColorJitter`, `Lighting`), re-exported here as in torchvision.
Random transforms draw from the generator the `DataLoader` binds while it prepares a batch
(so runs repeat and resume exactly, whatever thread prepares the batch), else from
gradwork's global generator.
"""
import threading
from contextlib import contextmanager

from .. import backend
from ..backend import np
from ..errors import check_nonnegative_int

_local = threading.local()


@contextmanager
def use_generator(generator):
    """Make random transforms in this thread draw from `generator` inside the block."""
    previous = getattr(_local, "generator", None)
    _local.generator = generator
    try:
        yield generator
    finally:
        _local.generator = previous


def current_generator():
    return getattr(_local, "generator", None) or backend.generator()


class Transform:
    """Base: `apply_batch` defaults to applying `__call__` image by image."""

    def __call__(self, img):
        raise NotImplementedError

    def apply_batch(self, imgs):
        return np.stack([self(img) for img in imgs])

    def __repr__(self):
        return f"{type(self).__name__}()"


class Compose(Transform):
    """Apply `transforms` in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def apply_batch(self, imgs):
        for t in self.transforms:
            batch_fn = getattr(t, "apply_batch", None)   # plain callables go image by image
            imgs = batch_fn(imgs) if batch_fn else np.stack([t(i) for i in imgs])
        return imgs

    def __repr__(self):
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


class ToTensor(Transform):
    """uint8 H×W or H×W×C (values 0..255) → float32 C×H×W in [0, 1]; float input is only
    moved to channels-first. Batches: N×H×W or N×H×W×C → N×C×H×W."""

    @staticmethod
    def _scale(x):
        if x.dtype == np.uint8:
            return np.multiply(x, np.float32(1 / 255), dtype=np.float32, order="C")
        return np.ascontiguousarray(x, dtype=np.float32)

    def __call__(self, img):
        img = np.asarray(img)
        if img.ndim == 2:
            return self._scale(img)[None]                          # (1, H, W)
        if img.ndim == 3:
            return self._scale(img.transpose(2, 0, 1))             # (C, H, W)
        raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got "
                         f"{img.shape}")

    def apply_batch(self, imgs):
        imgs = np.asarray(imgs)
        if imgs.ndim == 3:
            return self._scale(imgs)[:, None]                      # (N, 1, H, W)
        if imgs.ndim == 4:
            return self._scale(imgs.transpose(0, 3, 1, 2))         # (N, C, H, W)
        raise ValueError(f"ToTensor: expected a batch of shape (N, H, W) or (N, H, W, C), got "
                         f"{imgs.shape}")


class Normalize(Transform):
    """x_c ← (x_c − mean_c) / std_c for each channel c (works on C×H×W and N×C×H×W)."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if self.mean.shape != self.std.shape:
            raise ValueError(f"Normalize: mean has {self.mean.size} values but std has "
                             f"{self.std.size}")
        if (self.std <= 0).any():
            raise ValueError(f"Normalize: std must be positive, got {self.std.tolist()}")

    def __call__(self, img):
        c = img.shape[-3]
        if self.mean.size not in (1, c):
            raise ValueError(f"Normalize: {self.mean.size} means for an image with {c} channels")
        shape = (-1, 1, 1)                                           # per channel, over H, W
        return ((img - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(np.float32)

    apply_batch = __call__

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def _pair(size, name):
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2 or any(not isinstance(s, int) or s <= 0 for s in size):
        raise ValueError(f"{name}: size must be a positive int or (h, w), got {size}")
    return size


class Pad(Transform):
    """Zero-pad the last two axes by `padding` on each side, or by (left, top, right, bottom)
    as torchvision's `Pad` (LeNet-5 sees MNIST's 28×28 digits centred in a 32×32 field:
    `Pad(2)`; AlexNet's 227×227 from 28×28: `Pad((99, 99, 100, 100))`)."""

    def __init__(self, padding):
        sides = (padding,) * 4 if isinstance(padding, int) else tuple(padding) \
            if isinstance(padding, (tuple, list)) and len(padding) == 4 else None
        if sides is None or not all(isinstance(p, int) and p >= 0 for p in sides):
            raise ValueError(f"Pad: padding must be a non-negative int or 4 of them (left, top, "
                             f"right, bottom), got {padding!r}")
        self.padding, self.sides = padding, sides

    def __call__(self, img):
        left, top, right, bottom = self.sides
        return np.pad(img, [(0, 0)] * (img.ndim - 2) + [(top, bottom), (left, right)])

    apply_batch = __call__

    def __repr__(self):
        return f"Pad(padding={self.padding})"


class RandomCrop(Transform):
    """Zero-pad each side by `padding`, then cut a `size` window at a uniformly random place."""

    def __init__(self, size, padding=0):
        self.size = _pair(size, "RandomCrop")
        check_nonnegative_int("RandomCrop", "padding", padding)
        self.padding = padding

    def _padded(self, x):
        p = self.padding
        if p:
            x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p, p), (p, p)])
        h, w = self.size
        if x.shape[-2] < h or x.shape[-1] < w:
            raise ValueError(f"RandomCrop: crop {self.size} larger than the padded image "
                             f"{x.shape[-2:]}")
        return x

    def __call__(self, img):
        x = self._padded(np.asarray(img))
        h, w = self.size
        top, left = current_generator().integers(0, [x.shape[-2] - h + 1, x.shape[-1] - w + 1])
        return x[..., top:top + h, left:left + w]

    def apply_batch(self, imgs):
        x = self._padded(np.asarray(imgs))                            # (N, C, H+2p, W+2p)
        h, w = self.size
        n = x.shape[0]
        gen = current_generator()
        tops = gen.integers(0, x.shape[-2] - h + 1, size=n)
        lefts = gen.integers(0, x.shape[-1] - w + 1, size=n)
        windows = np.lib.stride_tricks.sliding_window_view(x, (h, w), axis=(2, 3))
        return windows[np.arange(n), :, tops, lefts]                  # (N, C, h, w)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(Transform):
    """Mirror the image left–right with probability `p`: a PIL image, or an array along its
    last axis (W of C×H×W, as torchvision's tensors)."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, img):
        if current_generator().random() >= self.p:
            return img
        if hasattr(img, "transpose") and hasattr(img, "mode"):        # a PIL image
            from PIL import Image
            return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return img[..., ::-1].copy()

    def apply_batch(self, imgs):
        flip = current_generator().random(imgs.shape[0]) < self.p
        flip = flip.reshape((-1,) + (1,) * (imgs.ndim - 1))           # (N, 1, 1, 1)
        return np.where(flip, imgs[..., ::-1], imgs)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


from .image_transforms import (  # noqa: E402  (they build on Transform, defined above)
    IMAGENET_MEAN,
    IMAGENET_STD,
    CenterCrop,
    ColorJitter,
    Lighting,
    RandomResizedCrop,
    Resize,
)

__all__ = ["use_generator", "current_generator", "Transform", "Compose", "ToTensor",
           "Normalize", "Pad", "RandomCrop", "RandomHorizontalFlip", "Resize", "CenterCrop",
           "RandomResizedCrop", "ColorJitter", "Lighting", "IMAGENET_MEAN", "IMAGENET_STD"]
