"""Streaming `ImageFolder` and `DatasetFolder`: torchvision's layout and class-index rules,
for data sets that do not fit in memory.

    root/dog/xxx.png, root/dog/sub/xxy.jpg, ..., root/cat/123.jpg

`classes` are the sub-folder names of `root` in sorted order, `class_to_idx` maps each to
its position, and `samples` lists (path, class index) for every file under a class folder
(recursively, links followed) that has an allowed extension or passes `is_valid_file`,
class by class and file by file in sorted order: torchvision's `find_classes` and
`make_dataset`, so indices and orders are the same as torchvision's on the same tree.

Nothing is decoded at construction: `__getitem__` reads and decodes one file with Pillow
(in the DataLoader's worker processes when num_workers > 0, in parallel with training), then
applies `transform` (to a PIL image) and `target_transform`.

A file that cannot be read (truncated, corrupt, over MAX_IMAGE_PIXELS): with
`on_error="raise"` (default) a `DataFormatError` naming the file; with `on_error="skip"` a
warning, the file is counted (`skipped`, `skipped_files`, shared by all worker processes)
and the sample is replaced by the next readable one in index order (wrapping round), so
batches keep their size and a DataLoader's length stays exact.
"""
import io
import multiprocessing
import os
import warnings
from multiprocessing.context import get_spawning_popen

from ..backend import np
from ..errors import DataFormatError, check_choice
from .dataset import Dataset

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
MAX_IMAGE_PIXELS = 1 << 25      # 33.5 M pixels (8192 × 4096): larger is refused undecoded


def has_file_allowed_extension(filename, extensions):
    """Whether `filename` ends with one of `extensions` (compared in lower case)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def is_image_file(filename):
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """(classes, class_to_idx): the sub-folders of `directory`, sorted (torchvision's rule:
    every sub-folder is a class, hidden ones included)."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"data folder {directory!r} does not exist")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """[(path, class index)] of the files under each class folder, torchvision's order:
    classes sorted by name, each folder walked in sorted order, files sorted by name."""
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)
    instances, found = [], set()
    for target_class in sorted(class_to_idx):
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[target_class]))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            msg += ("Supported extensions are: "
                    f"{extensions if isinstance(extensions, str) else ', '.join(extensions)}")
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path, mode="RGB"):
    """The image at `path` as a decoded PIL image in `mode`. Its declared size is checked
    against MAX_IMAGE_PIXELS from the header, before Pillow allocates or decodes anything (a
    decompression bomb). Pillow reads from the file's bytes in memory: a chunk length read
    from a real file object would be allocated in full before the read (a PNG chunk claiming
    1 GB in a 100-byte file). Any failure is a DataFormatError naming the file."""
    from PIL import Image
    with open(path, "rb") as f:
        raw = io.BytesIO(f.read())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            img = Image.open(raw)
        with img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise DataFormatError(f"{path}: declares {img.width}×{img.height} pixels, more "
                                      f"than MAX_IMAGE_PIXELS = {MAX_IMAGE_PIXELS}")
            out = img.convert(mode)                 # decodes: a truncated file fails here
            out.load()
            return out
    except DataFormatError:
        raise
    except Image.DecompressionBombError as e:                 # Pillow's own, larger bound
        raise DataFormatError(f"{path}: declares more pixels than MAX_IMAGE_PIXELS = "
                              f"{MAX_IMAGE_PIXELS} ({e})") from None
    except Exception as e:
        raise DataFormatError(f"{path}: not a readable image ({type(e).__name__}: "
                              f"{e})") from None


def default_loader(path):
    return pil_loader(path)


class DatasetFolder(Dataset):
    """Samples `loader(path)` of the files under `root/<class>/`, torchvision's arguments:
    `loader`, `extensions` or `is_valid_file` (one of the two), `transform`,
    `target_transform`, `allow_empty`; and `on_error` ("raise" or "skip", see the module)."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False, on_error="raise"):
        check_choice(type(self).__name__, "on_error", on_error, ("raise", "skip"))
        self.root = os.fspath(root)
        classes, class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                                         allow_empty)
        self.loader, self.extensions = loader, extensions
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = classes, class_to_idx
        self.targets = [s[1] for s in self.samples]
        self.on_error = on_error
        # one byte per sample, shared with the worker processes (fork or spawn): 1 = unreadable
        self._bad = multiprocessing.RawArray("b", max(len(self.samples), 1))

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        return find_classes(directory)

    def __len__(self):
        return len(self.samples)

    def _load(self, index):
        """(index actually read, its sample): the file at `index`, or under "skip" the next
        readable one."""
        n = len(self.samples)
        for k in range(n):
            i = (index + k) % n
            if self._bad[i]:
                continue
            path = self.samples[i][0]
            try:
                return i, self.loader(path)
            except Exception as e:
                if self.on_error == "raise":
                    if isinstance(e, DataFormatError):
                        raise
                    raise DataFormatError(f"{path}: not a readable sample ({type(e).__name__}: "
                                          f"{e})") from e
                self._bad[i] = 1
                warnings.warn(f"{type(self).__name__}: skipping {path}: {e}", stacklevel=2)
        raise DataFormatError(f"{type(self).__name__}: none of the {n} files under {self.root} "
                              "is readable")

    def __getitem__(self, index):
        n = len(self.samples)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {n} "
                             "samples")
        i, sample = self._load(int(index) % n)
        target = self.samples[i][1]
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def _flags(self):
        return np.frombuffer(self._bad, dtype=np.int8)[:len(self.samples)]

    @property
    def skipped(self):
        """How many files were found unreadable and skipped (by any process)."""
        return int(np.count_nonzero(self._flags()))

    @property
    def skipped_files(self):
        return [self.samples[i][0] for i in np.flatnonzero(self._flags())]

    def __copy__(self):                 # a shallow copy shares the skipped-file flags
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __getstate__(self):
        state = self.__dict__.copy()
        if get_spawning_popen() is None:    # pickle or deepcopy, not a spawned worker: a copy
            state["_bad"] = bytes(self._bad)
        return state

    def __setstate__(self, state):
        if isinstance(state["_bad"], bytes):
            state["_bad"] = multiprocessing.RawArray("b", state["_bad"])
        self.__dict__.update(state)

    def __repr__(self):
        return (f"{type(self).__name__}({len(self)} samples, {len(self.classes)} classes, "
                f"root={self.root!r}, on_error={self.on_error!r})")


class ImageFolder(DatasetFolder):
    """Images under `root/<class>/` (extensions IMG_EXTENSIONS unless `is_valid_file`),
    decoded lazily by `loader` (default: Pillow, RGB, MAX_IMAGE_PIXELS checked); samples are
    (transform(PIL image), class index). `imgs` is `samples`, as in torchvision."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False, on_error="raise"):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty,
                         on_error=on_error)
        self.imgs = self.samples
