"""W4: VGG-16 (configuration D, Simonyan & Zisserman 2014), inference, batch 1 at 224
(WORKLOADS.md).

13 × conv3x3(pad 1) + ReLU with 2x2 max-pools between the five groups → flatten 25088 →
linear 4096 → ReLU → dropout → linear 4096 → ReLU → dropout → linear 1000. Eval mode, no
graph.
"""
from .harness import Budget, conv_macs
from .steps import gradwork_inference_step, import_torch, torch_inference_step

NAME = "W4"
DESCRIPTION = "VGG-16 inference, batch 1, 224x224"
BUDGET = Budget(2, 5, 10.0, 60)
X_SHAPE = (1, 3, 224, 224)
CONFIG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
            512, 512, 512, "M")
FC = (512 * 7 * 7, 4096, 4096, 1000)


def _macs_per_sample():
    macs, c_in, size = 0, 3, 224
    for v in CONFIG_D:
        if v == "M":
            size //= 2
        else:
            macs, c_in = macs + conv_macs(c_in, v, 3, size, size), v
    return macs + sum(a * b for a, b in zip(FC, FC[1:]))


MACS_PER_SAMPLE = _macs_per_sample()                          # 15,470,264,320
GFLOP_PER_STEP = 2 * MACS_PER_SAMPLE * X_SHAPE[0] / 1e9      # 30.94


def vgg16(nn, fc=FC):
    """The same network from either framework's `nn`; `fc`: the classifier's sizes (the first
    is 512·(input size / 32)²)."""
    layers, c_in = [], 3
    for v in CONFIG_D:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c_in, v, 3, padding=1), nn.ReLU()]
            c_in = v
    return nn.Sequential(
        *layers, nn.Flatten(),
        nn.Linear(fc[0], fc[1]), nn.ReLU(), nn.Dropout(),
        nn.Linear(fc[1], fc[2]), nn.ReLU(), nn.Dropout(),
        nn.Linear(fc[2], fc[3]))


def build_gradwork():
    import gradwork.nn as nn
    return gradwork_inference_step(vgg16(nn), X_SHAPE)


def build_torch():
    return torch_inference_step(vgg16(import_torch().nn), X_SHAPE)
