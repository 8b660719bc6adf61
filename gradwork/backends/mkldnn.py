"""oneDNN (formerly MKL-DNN) for float32 convolutions: PyTorch's `torch.backends.mkldnn`.

`is_available()` says whether libdnnl (the extra `onednn`: `pip install gradwork[onednn]`)
loads in this process; `enabled` (a settable flag, True unless the environment variable
GRADWORK_ONEDNN=0) says whether the convolution plan may use it. `flags(enabled=...)` sets it
for a `with` block. Where it is disabled, absent or fails to load, or in a forked child
(libgomp is not fork-safe), convolutions run on the NumPy path; `load_error()` says why it is
not available. Which directions and geometries use it is the plan's measured rule
(ops/conv_plan.py).
"""
import contextlib
import os

from ..kernels import onednn

enabled = os.environ.get("GRADWORK_ONEDNN", "1").strip() != "0"


def is_available():
    """Whether oneDNN is installed and usable here (PyTorch's `mkldnn.is_available`)."""
    return onednn.available()


def load_error():
    """Why `is_available()` is False (None when it is True)."""
    return None if onednn.available() else onednn.load_error()


@contextlib.contextmanager
def flags(enabled=False):
    """Set `enabled` inside a `with` block, restored after (PyTorch's `mkldnn.flags`)."""
    before = globals()["enabled"]
    globals()["enabled"] = bool(enabled)
    try:
        yield
    finally:
        globals()["enabled"] = before
