"""`InMemoryImageFolder`: a user's own images, one sub-folder per class (torchvision's layout),
all read into memory at construction (the streaming reader is `folder.ImageFolder`):

    root/cat/001.png, root/cat/002.jpg, ..., root/dog/xyz.png

Classes are the sub-folder names in sorted order (label i = i-th name). Images are read with
Pillow once, converted to `mode` ("RGB" or "L"), resized to `size` if given, and kept in memory
as one uint8 array, so batches are sliced and transformed without touching the disk again.
"""
import os

from ..backend import np
from ..errors import DataFormatError, check_choice
from .dataset import ArrayDataset
from .folder import MAX_IMAGE_PIXELS, pil_loader  # noqa: F401 (MAX_IMAGE_PIXELS: re-exported)

IMG_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff",
                  ".webp")


def find_classes(root):
    if not os.path.isdir(root):
        raise FileNotFoundError(f"data folder {root!r} does not exist")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise FileNotFoundError(f"{root}: no class sub-folders (expected root/<class>/<image>)")
    return classes


def _read_image(path, mode, size):
    """The image as uint8 (H, W[, C]), read by `pil_loader` (MAX_IMAGE_PIXELS checked from
    the header before anything is decoded), resized to `size` = (h, w) if given."""
    from PIL import Image
    img = pil_loader(path, mode)
    if size is not None:
        img = img.resize((size[1], size[0]), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8)


class InMemoryImageFolder(ArrayDataset):
    """Images in `root/<class>/`, as (N, H, W, C) uint8 (or (N, H, W) for mode "L").

    All images must share one size unless `size=(h, w)` resizes them.
    """

    def __init__(self, root, transform=None, size=None, mode="RGB"):
        check_choice("InMemoryImageFolder", "mode", mode, ("RGB", "L"))
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
