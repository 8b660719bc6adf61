"""gradwork.backends.mkldnn: PyTorch's switch for oneDNN, the environment variable, and fork
safety (a forked child convolves on NumPy, and finishes)."""
import os
import subprocess
import sys

import pytest

from gradwork.backends import mkldnn
from gradwork.kernels import onednn


def test_is_available_says_whether_the_library_loads():
    assert mkldnn.is_available() == onednn.available()
    assert (mkldnn.load_error() is None) == mkldnn.is_available()


def test_flags_set_enabled_for_a_block():
    before = mkldnn.enabled
    with mkldnn.flags(enabled=not before):
        assert mkldnn.enabled is (not before)
    assert mkldnn.enabled is before


@pytest.mark.parametrize("value,expect", [("0", False), ("1", True)])
def test_environment_variable_sets_the_default(value, expect):
    env = dict(os.environ, GRADWORK_ONEDNN=value)
    out = subprocess.run([sys.executable, "-c", "import gradwork.backends.mkldnn as m; "
                          "print(m.enabled)"], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == str(expect)


# Run in a fresh interpreter without PyTorch: imported first, PyTorch's own libgomp (same
# soname) is the one libdnnl binds to, and it survives a fork; the system's libgomp does not.
_FORK = """
import os, sys, time
import numpy as np
import gradwork as gw, gradwork.nn.functional as F
from gradwork.backends import mkldnn
assert "torch" not in sys.modules
gw.set_num_threads(2)
x, w = gw.randn(8, 32, 32, 32), gw.randn(32, 32, 3, 3)   # 75 M MACs: split
expected = F.conv2d(x, w, padding=1).numpy()    # oneDNN here, on a 2-thread OpenMP team
pid = os.fork()
if pid == 0:
    y = F.conv2d(x, w, padding=1).numpy()
    ok = not mkldnn.is_available() and np.allclose(y, expected, rtol=1e-4, atol=1e-4)
    os._exit(0 if ok else 1)
deadline = time.monotonic() + 60
while (status := os.waitpid(pid, os.WNOHANG)) == (0, 0):
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        sys.exit("the forked child's convolution hung")
    time.sleep(0.02)
sys.exit(os.waitstatus_to_exitcode(status[1]))
"""


@pytest.mark.skipif(not onednn.available(), reason="oneDNN not installed")
def test_a_forked_child_convolves_on_numpy_and_finishes():
    """libgomp is not fork-safe: after the parent ran oneDNN on a 2-thread OpenMP team, a
    forked child that entered OpenMP would wait for threads it does not have. The child must
    take the NumPy path (oneDNN unavailable there) and give the parent's result."""
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", _FORK], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
