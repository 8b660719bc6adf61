"""Images/s of the DataLoader alone on CIFAR-shaped data with the standard augmentation, to
set beside the W2 (ResNet-20, batch 128) training step: the loader must prepare a batch in
far less time than a step takes, or training waits for data.

    python -m benchmarks.loader_throughput [--images 10000] [--batch-size 128]

Data: synthetic uint8 (N, 32, 32, 3) from `default_rng(0)`. Pipeline (CIFAR-10 training):
ToTensor → RandomCrop(32, padding=4) → RandomHorizontalFlip → Normalize, batch-vectorised.
Reports images/s for the batched path (`get_batch`), the per-image path (`__getitem__` +
collate, what a plain Dataset gets) and with/without the prefetch thread; one JSON line each.
"""
import argparse
import json
import time

import numpy as np

from gradwork.data import ArrayDataset, DataLoader, default_collate
from gradwork.data.catalog import DATASETS
from gradwork.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor

from . import THREADS  # noqa: F401 - marks the dependency: the package pins the BLAS threads


class _PerImage(ArrayDataset):
    """The same data without the batched fast path: one image at a time, then collate."""

    def get_batch(self, indices):
        return default_collate([self[int(i)] for i in indices])


def _images_per_s(dataset, batch_size, prefetch, epochs):
    loader = DataLoader(dataset, batch_size, shuffle=True, drop_last=True, seed=0,
                        prefetch=prefetch)
    n = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for x, _ in loader:
            n += x.shape[0]
    return n / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000, help="data set size")
    parser.add_argument("--batch-size", type=int, default=128, help="as in W2")
    parser.add_argument("--epochs", type=int, default=2, help="passes per measurement")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, args.images)
    info = DATASETS["cifar10"]
    augment = Compose([ToTensor(), RandomCrop(32, padding=4), RandomHorizontalFlip(),
                       Normalize(info.mean, info.std)])
    for path, cls in (("batched", ArrayDataset), ("per-image", _PerImage)):
        for prefetch in (True, False):
            dataset = cls(images, labels, transform=augment)
            epochs = args.epochs if path == "batched" else 1
            rate = _images_per_s(dataset, args.batch_size, prefetch, epochs)
            print(json.dumps({"benchmark": "loader_throughput", "path": path,
                              "prefetch": prefetch, "batch_size": args.batch_size,
                              "images_per_s": round(rate), "ms_per_batch":
                              round(1000 * args.batch_size / rate, 2)}))


if __name__ == "__main__":
    main()
