"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009), 32×32 colour images, from either distribution:

- the "python version" (`cifar-10-batches-py/data_batch_1..5, test_batch`, `cifar-100-python/
  train, test`): pickled dicts, read with a restricted unpickler that can build only what those
  files hold (a dict of bytes, lists, ints and one uint8 array), so a crafted file cannot run
  code, after a walk over its opcodes (`pickletools`' table) that checks every length it declares
  against the bytes that follow, so a crafted length cannot make the unpickler allocate
  gigabytes for a file of a few bytes;
- the "binary version" (`cifar-10-batches-bin/data_batch_1..5.bin, test_batch.bin`,
  `cifar-100-binary/train.bin, test.bin`): fixed-size records of label byte(s) + 3,072 pixels
  (1,024 red, 1,024 green, 1,024 blue, row-major).
"""
import io
import os
import pickle
import pickletools
import struct

from ..backend import np
from ..errors import DataFormatError
from .dataset import ArrayDataset

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]
_PIXELS = 3 * 32 * 32
_RECONSTRUCT = np.zeros(1).__reduce__()[0]    # numpy's array-unpickling function
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asks for something a CIFAR batch never holds."""


def _codecs_encode(text, encoding="utf-8"):
    """Python 3 writers of protocol 2 pickle bytes as _codecs.encode(str, 'latin1')."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise UnsafePickleError(f"_codecs.encode with {encoding!r} is not allowed")
    return text.encode(encoding)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only plain data and NumPy arrays: any other global is refused."""

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return _codecs_encode
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise UnsafePickleError(f"refusing to load {module}.{name}: a CIFAR batch holds "
                                     "only a dict of bytes, lists and a uint8 array")


_COUNTED = {pickletools.TAKEN_FROM_ARGUMENT1: ("<B", 1),      # length prefix: format, size
            pickletools.TAKEN_FROM_ARGUMENT4: ("<i", 4),
            pickletools.TAKEN_FROM_ARGUMENT4U: ("<I", 4),
            pickletools.TAKEN_FROM_ARGUMENT8U: ("<Q", 8)}
_MEMO_PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}


def _check_declared_lengths(raw):
    """Walk the opcodes (pickletools' table) without building or decoding anything: a length
    that runs past the end of the file (the C unpickler allocates it before reading), a memo
    index beyond any real pickle's (the C unpickler grows its memo table to it), an unknown
    opcode or a missing STOP raises ValueError."""
    pos, end = 0, len(raw)
    while pos < end:
        op = pickletools.code2op.get(chr(raw[pos]))
        if op is None:
            raise ValueError(f"unknown opcode {raw[pos]:#04x} at byte {pos}")
        start, pos = pos, pos + 1
        n = None if op.arg is None else op.arg.n
        if n is None:
            if op.name == "STOP":
                return
            continue
        if n == pickletools.UP_TO_NEWLINE:
            lines = 2 if op.arg.name == "stringnl_noescape_pair" else 1
            for _ in range(lines):
                newline = raw.find(b"\n", pos)
                if newline < 0:
                    raise ValueError(f"{op.name} at byte {start}: no end of line")
                value, pos = raw[pos:newline], newline + 1
            if op.name == "PUT" and (not value.isdigit() or int(value) > end):
                raise ValueError(f"memo index {value[:20]!r} at byte {start}, beyond the file")
            continue
        fmt, size = _COUNTED.get(n, (None, n))
        if pos + size > end:
            raise ValueError(f"{op.name} at byte {start}: truncated argument")
        if fmt is not None:
            length = struct.unpack_from(fmt, raw, pos)[0]
            if length < 0 or pos + size + length > end:
                raise ValueError(f"{op.name} at byte {start} declares {length} bytes, but only "
                                 f"{end - pos - size} remain")
            size += length
        elif op.name in _MEMO_PUTS and int.from_bytes(raw[pos:pos + size], "little") > end:
            raise ValueError(f"memo index {int.from_bytes(raw[pos:pos + size], 'little')} at "
                             f"byte {start}, beyond the {end}-byte file")
        elif op.name == "FRAME" and int.from_bytes(raw[pos:pos + size], "little") > end - pos:
            raise ValueError(f"FRAME at byte {start} declares more bytes than remain")
        pos += size
    raise ValueError("no STOP opcode")


def load_pickle_batch(path, label_key):
    """(images (N, 32, 32, 3) uint8, labels (N,)) from one python-version batch file."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        _check_declared_lengths(raw)
        obj = RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except UnsafePickleError as e:
        raise DataFormatError(f"{path}: unsafe pickle ({e})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError,
            AttributeError, MemoryError, OverflowError, RecursionError, UnicodeError) as e:
        raise DataFormatError(f"{path}: corrupt or truncated pickle ({type(e).__name__}: "
                              f"{e})") from None
    if not isinstance(obj, dict):
        raise DataFormatError(f"{path}: expected a dict, got {type(obj).__name__}")
    obj = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
    for key in ("data", label_key):
        if key not in obj:
            raise DataFormatError(f"{path}: no {key!r} entry (found {sorted(map(str, obj))})")
    data = obj["data"]
    try:
        labels = np.asarray(obj[label_key], dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as e:
        raise DataFormatError(f"{path}: {label_key!r} must be a list of integers ({e})") from None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != _PIXELS:
        raise DataFormatError(f"{path}: 'data' must be a uint8 array of shape "
                              f"(N, {_PIXELS}), got {getattr(data, 'dtype', type(data).__name__)} "
                              f"{getattr(data, 'shape', '')}")
    if labels.shape != (data.shape[0],):
        raise DataFormatError(f"{path}: {labels.size} labels for {data.shape[0]} images")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)     # (N, 3072) → (N, 32, 32, 3)
    return images, labels.astype(np.int64)


def load_binary_batch(path, label_bytes, label_index):
    """(images (N, 32, 32, 3) uint8, labels (N,)) from one binary-version file."""
    record, size = label_bytes + _PIXELS, os.path.getsize(path)
    if size == 0 or size % record:                                  # checked before reading
        raise DataFormatError(f"{path}: {size} bytes is not a whole number of {record}-byte "
                              "records (truncated or not a CIFAR binary file)")
    raw = np.fromfile(path, dtype=np.uint8)
    rows = raw.reshape(-1, record)                                  # (N, labels + 3072)
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, 32, 32, 3)
    return images, rows[:, label_index].astype(np.int64)


def _files(root, train, layouts):
    """The first layout whose folder (root/sub or root itself) has all its files."""
    tried = []
    for kind, sub, train_names, test_names in layouts:
        names = train_names if train else test_names
        for folder in (os.path.join(root, sub), root):
            paths = [os.path.join(folder, n) for n in names]
            if all(os.path.isfile(p) for p in paths):
                return kind, paths
        tried.append(f"{sub}/{names[0]}")
    raise FileNotFoundError(f"{root}: none of the CIFAR layouts found (looked for "
                            f"{', '.join(tried)}; download and extract the python or binary "
                            "version from https://www.cs.toronto.edu/~kriz/cifar.html)")


class _CIFAR(ArrayDataset):
    def __init__(self, root, train, transform, num_classes, layouts, pickle_key, label_bytes):
        if root is None or not os.path.isdir(root):
            raise FileNotFoundError(f"data folder {root!r} does not exist")
        kind, paths = _files(root, train, layouts)
        parts = [load_pickle_batch(p, pickle_key) if kind == "python"
                 else load_binary_batch(p, label_bytes, label_bytes - 1) for p in paths]
        images = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
        labels = np.concatenate([p[1] for p in parts])
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise DataFormatError(f"{root}: labels must be in [0, {num_classes}), got "
                             f"{labels.min()}..{labels.max()}")
        classes = CIFAR10_CLASSES if num_classes == 10 else [str(c) for c in range(num_classes)]
        super().__init__(images, labels, transform, classes, source=root)


class CIFAR10(_CIFAR):
    """CIFAR-10: 50,000 train / 10,000 test images, 10 classes (HWC uint8 in `.data`)."""

    def __init__(self, root, train=True, transform=None):
        batches = [f"data_batch_{i}" for i in range(1, 6)]
        layouts = [("python", "cifar-10-batches-py", batches, ["test_batch"]),
                   ("binary", "cifar-10-batches-bin", [b + ".bin" for b in batches],
                    ["test_batch.bin"])]
        super().__init__(root, train, transform, 10, layouts, "labels", 1)


class CIFAR100(_CIFAR):
    """CIFAR-100: 50,000 train / 10,000 test images, 100 fine classes."""

    def __init__(self, root, train=True, transform=None):
        layouts = [("python", "cifar-100-python", ["train"], ["test"]),
                   ("binary", "cifar-100-binary", ["train.bin"], ["test.bin"])]
        super().__init__(root, train, transform, 100, layouts, "fine_labels", 2)
