"""W3: LSTM training, batch 32 (WORKLOADS.md), and its GRU twin.

x (T=64, N=32, I=32) sequence-major → one LSTM layer, hidden 128, h0 = c0 = 0 → linear 128→10
on h_64 → cross-entropy; full BPTT through all 64 steps; SGD lr 0.01 momentum 0.9.
`GRU` (below) is the same workload with a GRU layer (3 gate blocks instead of 4).

    python -m benchmarks.w3_lstm [--quick]      # both, standalone: JSON lines + ratios
    python -m benchmarks.run --workload W3      # the LSTM one, with the other workloads
"""
import argparse
import gc
import sys
from types import SimpleNamespace

from .harness import Budget, emit, measure, ratio_line
from .steps import gradwork_training_step, import_torch, torch_training_step

NAME = "W3"
DESCRIPTION = "LSTM training, T=64, batch 32, hidden 128, full BPTT"
BUDGET = Budget(2, 10, 8.0, 200)
T, N, IN, H, CLASSES = 64, 32, 32, 128, 10
X_SHAPE = (T, N, IN)


def _gflop(gates):
    macs = T * N * gates * H * (IN + H) + N * H * CLASSES   # LSTM: 167,813,120
    return 3 * 2 * macs / 1e9                               # LSTM: 1.007


GFLOP_PER_STEP = _gflop(4)


def recurrent_classifier(nn, cell):
    """cell ('LSTM' or 'GRU') over the sequence, then a linear layer on the last hidden state;
    the same model from either framework's `nn`."""
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(nn, cell)(IN, H)
            self.fc = nn.Linear(H, CLASSES)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.fc(out[-1])                          # h_T
    return Classifier()


def build_gradwork(cell="LSTM"):
    import gradwork.nn as nn
    return gradwork_training_step(recurrent_classifier(nn, cell), X_SHAPE, batch=N)


def build_torch(cell="LSTM"):
    return torch_training_step(recurrent_classifier(import_torch().nn, cell), X_SHAPE, batch=N)


# The GRU variant, in the shape harness.measure expects of a workload module.
GRU = SimpleNamespace(NAME="W3-GRU", DESCRIPTION="GRU training, T=64, batch 32, hidden 128",
                      BUDGET=BUDGET, GFLOP_PER_STEP=_gflop(3),
                      build_gradwork=lambda: build_gradwork("GRU"),
                      build_torch=lambda: build_torch("GRU"))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.w3_lstm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter timed runs")
    args = parser.parse_args(argv)
    for workload in (sys.modules[__name__], GRU):
        lines = {}
        for framework in ("gradwork", "torch"):
            lines[framework] = measure(workload, framework, args.quick)
            emit(lines[framework])
            gc.collect()
        print(ratio_line(workload.NAME, lines["gradwork"], lines["torch"]), file=sys.stderr,
              flush=True)


if __name__ == "__main__":
    main()
