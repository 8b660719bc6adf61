"""Training: `TrainConfig`, `Trainer`, `train_gan`, checkpoints, metrics, logs and plots."""
from .checkpoint import load_checkpoint, restore, save_checkpoint
from .config import TrainConfig
from .gan import train_gan
from .logging import SummaryWriter, read_csv, write_csv
from .metrics import Meter, accuracy, confusion_matrix, per_class_accuracy, topk_correct
from .trainer import Trainer

__all__ = ["TrainConfig", "Trainer", "train_gan", "save_checkpoint", "load_checkpoint", "restore",
           "SummaryWriter", "read_csv", "write_csv", "Meter", "accuracy", "confusion_matrix",
           "per_class_accuracy", "topk_correct"]
