"""`ImageFolder`: a user's own images, one sub-folder per class (torchvision's layout):

    root/cat/001.png, root/cat/002.jpg, ..., root/dog/xyz.png

Classes are the sub-folder names in sorted order (label i = i-th name). Images are read with
Pillow once, converted to `mode` ("RGB" or "L"), resized to `size` if given, and kept in memory
as one uint8 array, so batches are sliced and transformed without touching the disk again.
"""
import io
import os
import warnings

from ..backend import np
from ..errors import DataFormatError, check_choice
from .dataset import ArrayDataset

IMG_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff",
                  ".webp")
MAX_IMAGE_PIXELS = 1 << 25      # 33.5 M pixels (8192 × 4096): larger is refused unread


def find_classes(root):
    if not os.path.isdir(root):
        raise FileNotFoundError(f"data folder {root!r} does not exist")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise FileNotFoundError(f"{root}: no class sub-folders (expected root/<class>/<image>)")
    return classes


def _read_image(path, mode, size):
    """The image as uint8 (H, W[, C]). Its declared size is checked against MAX_IMAGE_PIXELS
    from the header, before Pillow allocates or decodes anything (a decompression bomb). Pillow
    reads from the file's bytes in memory: a chunk length read from a real file object would
    be allocated in full before the read (a PNG chunk claiming 1 GB in a 100-byte file)."""
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
            img = img.convert(mode)
            if size is not None:
                img = img.resize((size[1], size[0]), Image.BILINEAR)
            return np.asarray(img, dtype=np.uint8)
    except DataFormatError:
        raise
    except Image.DecompressionBombError as e:                 # Pillow's own, larger bound
        raise DataFormatError(f"{path}: declares more pixels than MAX_IMAGE_PIXELS = "
                              f"{MAX_IMAGE_PIXELS} ({e})") from None
    except Exception as e:
        raise DataFormatError(f"{path}: not a readable image ({type(e).__name__}: "
                              f"{e})") from None


class ImageFolder(ArrayDataset):
    """Images in `root/<class>/`, as (N, H, W, C) uint8 (or (N, H, W) for mode "L").

    All images must share one size unless `size=(h, w)` resizes them.
    """

    def __init__(self, root, transform=None, size=None, mode="RGB"):
        check_choice("ImageFolder", "mode", mode, ("RGB", "L"))
        if size is not None:
            size = (size, size) if isinstance(size, int) else tuple(size)
        self.root = root
        classes = find_classes(root)
        images, labels, self.samples = [], [], []
        for label, name in enumerate(classes):
            folder = os.path.join(root, name)
            files = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMG_EXTENSIONS))
            if not files:
                raise FileNotFoundError(f"{folder}: class {name!r} has no images (extensions "
                                        f"{', '.join(IMG_EXTENSIONS)})")
            for f in files:
                path = os.path.join(folder, f)
                img = _read_image(path, mode, size)
                if images and img.shape != images[0].shape:
                    raise DataFormatError(f"{path}: size {img.shape[:2]} differs from "
                                     f"{self.samples[0][0]}'s {images[0].shape[:2]}; pass "
                                     "size=(h, w) to resize all images")
                images.append(img)
                labels.append(label)
                self.samples.append((path, label))
        super().__init__(np.stack(images), np.asarray(labels), transform, classes, source=root)
