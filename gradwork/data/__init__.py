"""Data: `Dataset`, `DataLoader`, transforms, readers for MNIST / Fashion-MNIST / CIFAR / image
folders, the Free Spoken Digit Dataset, and synthetic sequence tasks."""
from . import transforms
from .catalog import DATASETS, dataset_info, load_dataset
from .cifar import CIFAR10, CIFAR100
from .collate import default_collate
from .dataset import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from .folder import DatasetFolder, ImageFolder
from .fsdd import FSDD, SpokenDigitSequences, pad_collate
from .image_folder import InMemoryImageFolder
from .loader import DataLoader
from .mnist import MNIST, FashionMNIST, read_idx
from .sampler import (
                      BatchSampler,
                      DistributedSampler,
                      RandomSampler,
                      Sampler,
                      SequentialSampler,
                      SubsetRandomSampler,
                      WeightedRandomSampler,
)
from .sequences import AddingProblem, AnBn, CopyMemory, SequenceReversal
from .worker import get_worker_info

__all__ = ["Dataset", "TensorDataset", "Subset", "ArrayDataset", "random_split", "DataLoader",
           "default_collate", "transforms", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100",
           "ImageFolder", "read_idx", "AddingProblem", "CopyMemory", "AnBn", "SequenceReversal",
           "DatasetFolder", "InMemoryImageFolder",
           "DATASETS", "dataset_info", "load_dataset", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler",
           "get_worker_info", "FSDD", "SpokenDigitSequences", "pad_collate"]
