"""W2 (ResNet-20 training, batch 128) and W4 (VGG-16 inference, batch 1) on a GPU: gradwork
on CuPy against PyTorch CUDA, timed in the same run with the same loop (WORKLOADS.md).

    python -m benchmarks.gpu [--quick] [--workloads W2 W4] [--tf32]

Needs CuPy (`pip install gradwork[cuda]`) and a CUDA device, and PyTorch built with CUDA for
the reference; without a GPU backend it exits with status 2 and says what is missing. Each
step ends on the host (the loss read back as a float, or the logits copied to NumPy), so the
GPU has finished its work when the timer stops. TF32 is off in PyTorch unless --tf32 (cuDNN
enables it for convolutions by default; CuPy's cuBLAS computes in full float32), so both sides
compute in float32. Prints one JSON line per framework and workload, then the ratios.
"""
import argparse
import sys

from . import w2_resnet20, w4_vgg16
from .harness import emit, record, time_steps
from .steps import (
    gradwork_inference_step,
    gradwork_training_step,
    torch_inference_step,
    torch_training_step,
)

WORKLOADS = {"W2": w2_resnet20, "W4": w4_vgg16}


def gpu_missing():
    """Why gradwork has no GPU here (None when it has one)."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install gradwork[cuda])"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return f"CuPy sees no CUDA device ({type(exc).__name__}: {exc})"
    return None if count > 0 else "CuPy sees no CUDA device"


def gradwork_step(module):
    import gradwork.nn as nn
    if module is w4_vgg16:
        return gradwork_inference_step(w4_vgg16.vgg16(nn), module.X_SHAPE, "cuda")
    return gradwork_training_step(w2_resnet20.resnet20(nn, nn.functional), module.X_SHAPE,
                                  device="cuda")


def torch_step(module, tf32):
    import torch
    if not torch.cuda.is_available():
        raise RuntimeError(f"PyTorch {torch.__version__} sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if module is w4_vgg16:
        return torch_inference_step(w4_vgg16.vgg16(torch.nn), module.X_SHAPE, "cuda")
    return torch_training_step(w2_resnet20.resnet20(torch.nn, torch.nn.functional),
                               module.X_SHAPE, device="cuda")


def _measure(framework, module, build, quick):
    budget = module.BUDGET.quick() if quick else module.BUDGET
    try:
        stats = time_steps(build(), budget)
    except Exception as exc:
        return record(framework, module.NAME, error=f"{type(exc).__name__}: {exc}",
                      device="cuda")
    return record(framework, module.NAME, stats, module.GFLOP_PER_STEP, device="cuda")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS),
                        choices=list(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="shorter timing loops")
    parser.add_argument("--tf32", action="store_true", help="let PyTorch use TF32")
    args = parser.parse_args(argv)
    missing = gpu_missing()
    if missing is not None:
        print(f"benchmarks.gpu: no GPU backend, nothing timed: {missing}. gradwork runs on "
              "CUDA through CuPy; run this on a machine with an NVIDIA GPU.", file=sys.stderr)
        return 2
    for name in args.workloads:
        module = WORKLOADS[name]
        lines = [_measure("gradwork", module, lambda m=module: gradwork_step(m), args.quick),
                 _measure("pytorch", module, lambda m=module: torch_step(m, args.tf32),
                          args.quick)]
        for line in lines:
            line["tf32"] = args.tf32
            emit(line)
        if all("median_s" in line for line in lines):
            ratio = lines[0]["median_s"] / lines[1]["median_s"]
            print(f"{name}: gradwork {lines[0]['median_s'] * 1e3:.1f} ms, PyTorch "
                  f"{lines[1]['median_s'] * 1e3:.1f} ms per step: ratio {ratio:.2f}",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
