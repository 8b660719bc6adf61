"""W1: LeNet-5 training, batch 64 (WORKLOADS.md).

conv5x5(1→6) → ReLU → maxpool 2 → conv5x5(6→16) → ReLU → maxpool 2 → flatten 400 →
linear 120 → ReLU → linear 84 → ReLU → linear 10 → cross-entropy.
"""
from .harness import Budget, conv_macs
from .steps import gradwork_training_step, import_torch, torch_training_step

NAME = "W1"
DESCRIPTION = "LeNet-5 training, batch 64"
BUDGET = Budget(3, 20, 6.0, 300)
X_SHAPE = (64, 1, 32, 32)
MACS_PER_SAMPLE = (conv_macs(1, 6, 5, 28, 28) + conv_macs(6, 16, 5, 10, 10)
                   + 400 * 120 + 120 * 84 + 84 * 10)          # 416,520
GFLOP_PER_STEP = 3 * 2 * MACS_PER_SAMPLE * X_SHAPE[0] / 1e9  # 0.1599


def lenet5(nn):
    """The same network from either framework's `nn` (gradwork.nn or torch.nn)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def build_gradwork():
    import gradwork.nn as nn
    return gradwork_training_step(lenet5(nn), X_SHAPE)


def build_torch():
    return torch_training_step(lenet5(import_torch().nn), X_SHAPE)
