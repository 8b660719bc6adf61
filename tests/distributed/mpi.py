"""Run a script under `mpiexec -n K` from a test (skipped, with the reason, without MPI)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parent / "workers"


def mpiexec():
    """The mpiexec beside this Python (mpich's wheel puts it there), else on PATH; or skip."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed (pip install gradwork[mpi])")
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec (pip install gradwork[mpi] installs mpich's)")
    return found


def command(k, *args):
    """`mpiexec -n k python args...`; Open MPI needs --oversubscribe for k > cores."""
    exe = mpiexec()
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    extra = ["--oversubscribe"] if "Open MPI" in version else []
    return [exe, *extra, "-n", str(k), sys.executable, *map(str, args)]


def environment(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(k, *args, timeout=120, **env):
    """Run and return the CompletedProcess; fails the test with the output on error."""
    proc = subprocess.run(command(k, *args), capture_output=True, text=True, timeout=timeout,
                          env=environment(**env), cwd=ROOT)
    assert proc.returncode == 0, f"mpiexec -n {k} failed ({proc.returncode}):\n" \
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc
