"""Images/s of the streaming ImageFolder (JPEG decode + the ImageNet training transforms) through
the DataLoader with 0, 1, 2, ... worker processes: what `gradwork train --data imagefolder
--workers N` can feed a model, on this machine's cores.

    python -m benchmarks.image_folder_throughput [--images 200] [--side 500] [--crop 224]

Data: `--images` JPEGs (quality 90) of `--side`×(0.75·side) pixels, smooth colour fields plus
noise from `default_rng(0)`, written to a temporary folder in two classes. Pipeline:
RandomResizedCrop(crop), RandomHorizontalFlip, ColorJitter(0.4, 0.4, 0.4), ToTensor,
Lighting(0.1), Normalize; batch 32, one epoch per measurement. One JSON line per count.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np
from PIL import Image

from gradwork.data import DataLoader, ImageFolder
from gradwork.data.catalog import imagenet_transforms

from . import THREADS  # noqa: F401 - marks the dependency: the package pins the BLAS threads


def _write_jpegs(root, n, side):
    rng = np.random.default_rng(0)
    h, w = int(0.75 * side), side
    yy, xx = np.mgrid[0:h, 0:w] / side
    for i in range(n):
        folder = os.path.join(root, f"class{i % 2}")
        os.makedirs(folder, exist_ok=True)
        phase = rng.random(3) * 6.3
        field = np.stack([np.sin(4 * xx + 3 * yy + p) for p in phase], axis=-1)
        pixels = np.clip(128 + 90 * field + rng.normal(0, 12, (h, w, 3)), 0, 255)
        Image.fromarray(pixels.astype(np.uint8)).save(os.path.join(folder, f"{i:05d}.jpg"),
                                                      quality=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--side", type=int, default=500, help="image width (height 3/4 of it)")
    parser.add_argument("--crop", type=int, default=224)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        _write_jpegs(root, args.images, args.side)
        dataset = ImageFolder(root, transform=imagenet_transforms(args.crop, True))
        for workers in args.workers:
            loader = DataLoader(dataset, 32, shuffle=True, num_workers=workers, seed=0)
            start = time.perf_counter()
            n = sum(x.shape[0] for x, _ in loader)
            rate = n / (time.perf_counter() - start)
            print(json.dumps({"benchmark": "image_folder_throughput", "workers": workers,
                              "images": n, "side": args.side, "crop": args.crop,
                              "images_per_s": round(rate, 1)}))


if __name__ == "__main__":
    main()
