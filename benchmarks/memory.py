"""Peak memory of one ResNet-20 training step at batch 128 (W2), gradwork vs PyTorch.

Each framework runs in its own subprocess (`python -m benchmarks.memory FRAMEWORK [MODULE]`,
MODULE a training workload, default benchmarks.w2_resnet20). The child imports the
framework, builds the model and the batch, reads its resident set size (VmRSS, the
baseline), resets the kernel's peak-RSS mark (`/proc/self/clear_refs` ← 5), runs 2 training
steps and reads the peak (VmHWM). The figure compared is peak − baseline: the memory the
step itself needs (activations saved for backward, gradients, momentum buffers,
temporaries), without the imported libraries (Numba and libdnnl included, which gradwork
loads lazily). (`ru_maxrss` would not do: Linux carries the parent's peak into a child across
exec.) Linux only.
"""
import importlib
import json
import subprocess
import sys

from . import harness, interleave

NAME = "memory"
STEPS = 2
DEFAULT_MODULE = "benchmarks.w2_resnet20"


def _status_mib(field):
    """VmRSS / VmHWM of this process from /proc/self/status, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024   # kB
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child(framework, module_name=DEFAULT_MODULE):
    """Build, read the baseline, run the steps, print one JSON line. module_name: a workload
    module or a 'module:object' spec (interleave.load)."""
    module = interleave.load(module_name)
    step = harness.build_step(module, framework)
    if framework == "gradwork":
        # gradwork imports Numba at its first kernel call (gradwork/kernels/jit.py); import it
        # here so that, as PyTorch's libraries are, it is in the baseline (≈ 70 MiB).
        importlib.import_module("numba")
        # and libdnnl (the oneDNN extra, loaded at the first float32 convolution), whose pages
        # PyTorch's baseline holds too (its own oneDNN is linked in): ≈ 30 MiB
        importlib.import_module("gradwork.backends.mkldnn").is_available()
    baseline = _status_mib("VmRSS")
    _reset_peak()
    for _ in range(STEPS):
        step()
    peak = _status_mib("VmHWM")
    print(json.dumps({"framework": framework, "workload": f"{module.NAME}-memory",
                      "baseline_mib": baseline,
                      "peak_mib": peak, "step_mib": peak - baseline, "steps": STEPS}))


def measure(framework, module_name=DEFAULT_MODULE):
    """Run the child for `framework`; returns its JSON record (or one with `error`)."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.memory", framework, module_name],
                          capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"framework": framework, "workload": f"{module_name}-memory",
                "error": f"exit {proc.returncode}: {tail}"}
    return json.loads(lines[-1])


def ratio_line(ours, theirs):
    if "error" in ours or "error" in theirs:
        return f"{ours['workload']}: no ratio ({ours.get('error') or theirs.get('error')})"
    if theirs["step_mib"] <= 0:
        return f"{ours['workload']}: no ratio (torch's step added no resident memory)"
    return (f"{ours['workload']}: step peak − baseline: gradwork {ours['step_mib']:.0f} MiB, torch "
            f"{theirs['step_mib']:.0f} MiB, ratio gradwork/torch "
            f"{ours['step_mib'] / theirs['step_mib']:.2f} (target ≤ 2); peak RSS "
            f"{ours['peak_mib']:.0f} vs {theirs['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("gradwork", "torch"):
        sys.exit("usage: python -m benchmarks.memory {gradwork|torch} [MODULE]")
    child(*sys.argv[1:])
