"""gradwork/backend.py: importing gradwork leaves the process as it was; tune_allocator is the
explicit, process-wide allocator setting."""
import ctypes
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Whether glibc serves an 8 MiB malloc from a fresh mapping (its default: above 128 KiB) or
# from the heap (after tune_allocator): mallinfo2's count of mapped blocks tells.
PROBE = textwrap.dedent("""
    import ctypes, os, sys, threading
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
                    .split()]
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype, libc.malloc.restype = Info, ctypes.c_void_p
    env, threads = dict(os.environ), threading.active_count()
    import numpy
    import gradwork, gradwork.nn, gradwork.optim, gradwork.train, gradwork.models
    x = gradwork.randn(3, 4, requires_grad=True)
    (x * x).sum().backward()
    if sys.argv[1] == "tune":
        assert gradwork.backend.tune_allocator()
    before = libc.mallinfo2().hblks
    p = libc.malloc(8 << 20)
    mapped = libc.mallinfo2().hblks - before
    libc.free(ctypes.c_void_p(p))
    print(mapped, threading.active_count() - threads, dict(os.environ) == env)
""")


def _probe(mode):
    env = {k: v for k, v in os.environ.items() if k != "GRADWORK_MALLOC_TUNING"}
    env["PYTHONPATH"] = ROOT
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         env=env, check=True)
    return out.stdout.split()


def _glibc():
    try:
        ctypes.CDLL(None).mallinfo2  # noqa: B018 - a lookup that raises where absent
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not _glibc(), reason="glibc's mallopt/mallinfo2 only")
def test_import_changes_nothing_until_tune_allocator():
    """`import gradwork` (and a tensor's backward) keeps glibc's allocator, starts no thread
    and sets no environment variable (issue 14 item 6); tune_allocator() then keeps large
    blocks in the heap."""
    assert _probe("import") == ["1", "0", "True"]
    assert _probe("tune") == ["0", "0", "True"]


def test_workspace_reuses_bounds_and_clears(monkeypatch):
    """One buffer per (thread, role), reused while big enough; a request past WORKSPACE_LIMIT
    is not kept; clear_workspace frees everything."""
    import numpy as np

    from gradwork import backend
    backend.clear_workspace()
    a = backend.workspace(np, "test", 100, np.float32)
    b = backend.workspace(np, "test", 50, np.float32, zero=True)
    assert np.shares_memory(a, b) and b.size == 50 and not b.any()
    assert backend.workspace_bytes() == 400
    c = backend.workspace(np, "test", 200, np.float64)          # a new dtype: a new buffer
    assert not np.shares_memory(a, c) and backend.workspace_bytes() == 1600
    monkeypatch.setattr(backend, "WORKSPACE_LIMIT", 2000)
    big = backend.workspace(np, "big", 1000, np.float32)         # 4000 B: not kept
    assert big.size == 1000 and backend.workspace_bytes() == 1600
    backend.clear_workspace()
    assert backend.workspace_bytes() == 0
