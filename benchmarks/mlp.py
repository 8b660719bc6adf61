"""MLP 784-512-256-10 with ReLU, training, batch 128: a small dense workload (not in
WORKLOADS.md) that exercises the harness without convolutions."""
from .harness import Budget
from .steps import gradwork_training_step, import_torch, torch_training_step

NAME = "mlp"
DESCRIPTION = "MLP 784-512-256-10 training, batch 128"
BUDGET = Budget(3, 20, 4.0, 300)
X_SHAPE = (128, 784)
WIDTHS = (784, 512, 256, 10)
GFLOP_PER_STEP = 3 * 2 * X_SHAPE[0] * sum(a * b for a, b in zip(WIDTHS, WIDTHS[1:])) / 1e9


def _layers(nn):
    layers = []
    for a, b in zip(WIDTHS, WIDTHS[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def build_gradwork():
    import gradwork.nn as nn
    return gradwork_training_step(_layers(nn), X_SHAPE)


def build_torch():
    return torch_training_step(_layers(import_torch().nn), X_SHAPE)
