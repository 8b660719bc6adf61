"""Image data sets by name, with their standard preprocessing (the CLI's `--data`).

    train, test = load_dataset("cifar10", root="~/data", augment=True)

Each entry knows its channels, classes and image size, the per-channel mean/std its inputs
are normalised with (computed on its training set), and its augmentation: random crops of
the zero-padded image (+ horizontal flips where mirror images keep the class; not for digits).
"""
import os
from dataclasses import dataclass

from ..backend import np
from .cifar import CIFAR10, CIFAR100
from .dataset import ArrayDataset
from .folder import ImageFolder
from .fsdd import FSDD, MFCCFeatures, fit_length
from .image_folder import InMemoryImageFolder
from .mnist import MNIST, FashionMNIST
from .transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    CenterCrop,
    ColorJitter,
    Compose,
    Lighting,
    Normalize,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    Resize,
    ToTensor,
)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    in_channels: int
    num_classes: int        # 0: read from the data (folder)
    size: int               # 0: read from the data (folder)
    mean: tuple
    std: tuple
    flip: bool              # mirror images keep the class
    crop_padding: int       # RandomCrop's padding (0: an eighth of the image side)
    needs_root: bool


DATASETS = {
    "mnist": DatasetInfo("mnist", 1, 10, 28, (0.1307,), (0.3081,), False, 2, False),
    "fashion-mnist": DatasetInfo("fashion-mnist", 1, 10, 28, (0.2860,), (0.3530,), True, 2,
                                 True),
    "cifar10": DatasetInfo("cifar10", 3, 10, 32, (0.4914, 0.4822, 0.4465),
                           (0.2470, 0.2435, 0.2616), True, 4, True),
    "cifar100": DatasetInfo("cifar100", 3, 100, 32, (0.5071, 0.4865, 0.4409),
                            (0.2673, 0.2564, 0.2762), True, 4, True),
    "folder": DatasetInfo("folder", 3, 0, 0, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), True, 0, True),
    # JPEG/PNG files of any size streamed from disk (data/folder.py) with the ImageNet
    # recipes' transforms, cropped to the model's input size (224 if it declares none)
    "imagefolder": DatasetInfo("imagefolder", 3, 0, 0, IMAGENET_MEAN, IMAGENET_STD, True, 0,
                               True),
    # spoken digits: in_channels = features per frame (13 MFCCs + Δ + ΔΔ), see data/fsdd.py
    "fsdd": DatasetInfo("fsdd", 39, 10, 0, (), (), False, 0, True),
}


def dataset_info(name):
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names are: {', '.join(DATASETS)}")
    return DATASETS[name]


def _transform(info, size, augment, pad):
    """ToTensor → Pad → (RandomCrop → RandomHorizontalFlip) → Normalize; size = (h, w)."""
    steps = [ToTensor()]
    if pad:
        steps.append(Pad(pad))
    if augment:
        left, top, right, bottom = (pad,) * 4 if isinstance(pad, int) else pad
        h, w = size[0] + top + bottom, size[1] + left + right
        steps.append(RandomCrop((h, w), padding=info.crop_padding or max(1, min(h, w) // 8)))
        if info.flip:
            steps.append(RandomHorizontalFlip())
    steps.append(Normalize(info.mean, info.std))
    return Compose(steps)


def load_dataset(name, root=None, augment=False, pad=0, size=None):
    """(train, test) datasets for `name`; `augment` applies to the training set only, `pad`
    zero-pads every image (e.g. 2 to show 28×28 digits to a 32×32 network; or (left, top,
    right, bottom)), `size` resizes a
    folder's images. A `folder` data set is split 80/20 per class into train/test unless
    `root` has `train/` and `test/` sub-folders. An `imagefolder` is read lazily, `size` its
    crop side (default 224), with `train/` and `val/` (or `test/`) sub-folders or the same
    80/20 split."""
    info = dataset_info(name)
    if info.needs_root and root is None:
        raise ValueError(f"dataset {name!r} needs --data-dir (the folder with its files)")
    if name == "folder":
        return _load_folder(info, root, augment, pad, size)
    if name == "imagefolder":
        return _load_streamed_folder(info, root, augment, size)
    if name == "fsdd":
        return load_fsdd(root, augment)
    readers = {"mnist": MNIST, "fashion-mnist": FashionMNIST, "cifar10": CIFAR10,
               "cifar100": CIFAR100}
    size = (info.size, info.size)
    train = readers[name](root, train=True, transform=_transform(info, size, augment, pad))
    test = readers[name](root, train=False, transform=_transform(info, size, False, pad))
    return train, test


def load_fsdd(root, augment=False, length=8000):
    """FSDD train/test (indices 5–49 / 0–4) as standardised MFCC + Δ + ΔΔ frames (T, 39) of
    1 s windows (zero-padded or cropped); `augment` places each training recording at a random
    offset in its window. The mean and std per feature come from the training set."""
    features = MFCCFeatures()
    train = FSDD(root, train=True, length=length, random_offset=augment, transform=features)
    features.fit([fit_length(w, length) for w in train.waveforms])
    test = FSDD(root, train=False, length=length, transform=features)
    return train, test


def _load_folder(info, root, augment, pad, size):
    if os.path.isdir(os.path.join(root, "train")) and os.path.isdir(os.path.join(root, "test")):
        train = InMemoryImageFolder(os.path.join(root, "train"), size=size)
        test = InMemoryImageFolder(os.path.join(root, "test"), size=size)
        if train.classes != test.classes:
            raise ValueError(f"{root}: train/ has classes {train.classes}, test/ has "
                             f"{test.classes}")
    else:
        full = InMemoryImageFolder(root, size=size)
        rank = np.zeros(len(full), np.int64)                        # position within its class
        for c in range(len(full.classes)):
            rank[full.targets == c] = np.arange((full.targets == c).sum())
        counts = np.bincount(full.targets)
        is_test = rank >= np.ceil(0.8 * counts[full.targets])
        train, test = (ArrayDataset(full.data[m], full.targets[m], classes=full.classes,
                                    source=root) for m in (~is_test, is_test))
    hw = train.data.shape[1:3]
    train.transform = _transform(info, hw, augment, pad)
    test.transform = _transform(info, hw, False, pad)
    return train, test


def imagenet_transforms(size, augment, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """The ImageNet recipes' transforms to a `size`×`size` crop of a PIL image. Training:
    RandomResizedCrop (Szegedy et al. 2015 §6), flip, ColorJitter(0.4, 0.4, 0.4) and PCA
    Lighting(0.1) (Krizhevsky et al. 2012 §4.1; the set fb.resnet.torch trains ResNets with),
    ToTensor, Normalize. Evaluation: Resize(size · 256/224), CenterCrop(size), ToTensor,
    Normalize."""
    if augment:
        return Compose([RandomResizedCrop(size), RandomHorizontalFlip(),
                        ColorJitter(0.4, 0.4, 0.4), ToTensor(), Lighting(0.1),
                        Normalize(mean, std)])
    return Compose([Resize(int(round(size * 256 / 224))), CenterCrop(size), ToTensor(),
                    Normalize(mean, std)])


def _test_mask(targets):
    """The last 20 % of each class (by position within it), as `folder`'s split."""
    targets = np.asarray(targets, dtype=np.int64)
    rank = np.zeros(len(targets), np.int64)                     # position within its class
    for c in np.unique(targets):
        rank[targets == c] = np.arange((targets == c).sum())
    return rank >= np.ceil(0.8 * np.bincount(targets)[targets])


def _load_streamed_folder(info, root, augment, size):
    """(train, test) ImageFolders read lazily; unreadable files are skipped with a warning."""
    size = size or 224
    train_tf = imagenet_transforms(size, augment, info.mean, info.std)
    test_tf = imagenet_transforms(size, False, info.mean, info.std)
    held = next((s for s in ("val", "test") if os.path.isdir(os.path.join(root, s))), None)
    if os.path.isdir(os.path.join(root, "train")) and held:
        train = ImageFolder(os.path.join(root, "train"), train_tf, on_error="skip")
        test = ImageFolder(os.path.join(root, held), test_tf, on_error="skip")
        if train.classes != test.classes:
            raise ValueError(f"{root}: train/ has classes {train.classes}, {held}/ has "
                             f"{test.classes}")
        return train, test
    full = ImageFolder(root)
    is_test = _test_mask(full.targets)
    parts = [{p for (p, _), t in zip(full.samples, is_test) if t == want}
             for want in (False, True)]
    return tuple(ImageFolder(root, tf, is_valid_file=part.__contains__, allow_empty=True,
                             on_error="skip") for tf, part in zip((train_tf, test_tf), parts))
