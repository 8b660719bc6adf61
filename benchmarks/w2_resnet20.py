"""W2: ResNet-20 for CIFAR (He et al. 2015, §4.2), training, batch 128 (WORKLOADS.md).

stem conv3x3(3→16) → BN → ReLU; 3 stages × 3 basic blocks of widths 16/32/64, the first
block of stages 2 and 3 with stride 2 and a conv1x1 → BN projection shortcut ("option B");
global average pool → linear 64→10 → cross-entropy. Convs have no bias; BN in training mode.
"""
from .harness import Budget, conv_macs
from .steps import gradwork_training_step, import_torch, torch_training_step

NAME = "W2"
DESCRIPTION = "ResNet-20 (CIFAR) training, batch 128"
BUDGET = Budget(2, 5, 15.0, 60)
X_SHAPE = (128, 3, 32, 32)
WIDTHS = (16, 32, 64)
BLOCKS = 3


def _macs_per_sample():
    macs, c_in, size = conv_macs(3, 16, 3, 32, 32), 16, 32
    for stage, width in enumerate(WIDTHS):
        for block in range(BLOCKS):
            stride = 2 if stage > 0 and block == 0 else 1
            size //= stride
            macs += conv_macs(c_in, width, 3, size, size) + conv_macs(width, width, 3, size, size)
            if stride != 1 or c_in != width:
                macs += conv_macs(c_in, width, 1, size, size)
            c_in = width
    return macs + WIDTHS[-1] * 10


MACS_PER_SAMPLE = _macs_per_sample()                          # 40,813,184
GFLOP_PER_STEP = 3 * 2 * MACS_PER_SAMPLE * X_SHAPE[0] / 1e9  # 31.34


def resnet20(nn, F, n_blocks=BLOCKS):
    """The same network from either framework's `nn` and functional module; `n_blocks` basic
    blocks per stage (3: ResNet-20; n: ResNet-(6n+2), He et al. 2015 §4.2)."""

    class BasicBlock(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.shortcut = nn.Sequential()
            if stride != 1 or c_in != c_out:
                self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                              nn.BatchNorm2d(c_out))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class ResNet20(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            blocks, c_in = [], 16
            for stage, width in enumerate(WIDTHS):
                for block in range(n_blocks):
                    blocks.append(BasicBlock(c_in, width, 2 if stage > 0 and block == 0 else 1))
                    c_in = width
            self.layers = nn.Sequential(*blocks)
            self.fc = nn.Linear(WIDTHS[-1], 10)

        def forward(self, x):
            x = self.layers(F.relu(self.bn1(self.conv1(x))))
            return self.fc(x.mean(dim=(2, 3)))        # global average pool: (N, 64, 8, 8) → (N, 64)

    return ResNet20()


def build_gradwork():
    import gradwork.nn as nn
    return gradwork_training_step(resnet20(nn, nn.functional), X_SHAPE)


def build_torch():
    nn = import_torch().nn
    return torch_training_step(resnet20(nn, nn.functional), X_SHAPE)
