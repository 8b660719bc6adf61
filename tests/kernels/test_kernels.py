"""gradwork/kernels through backend.kernel, the one dispatch point: Numba's kernel on NumPy
arrays, the plain array-module form (kernels/portable.py) on any other module; the two agree."""
import types

import numpy as np
import pytest

from gradwork import backend, kernels
from gradwork.kernels import portable


def _pair(name, args, outputs):
    """Run the compiled and the portable kernel `name` on copies of args; their outputs."""
    results = []
    for fn in (backend.kernel(name, *args), getattr(portable, name)):
        copies = [a.copy() for a in args]
        fn(*copies)
        results.append([copies[i] for i in outputs])
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_and_portable_kernels_agree(dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 5)) + 7).astype(dtype)
    g = rng.standard_normal((3, 4, 5)).astype(dtype)

    def c64():
        return rng.standard_normal(4)

    def cd():
        return rng.standard_normal(4).astype(dtype)

    cases = {
        "channel_moments": ([x, np.empty(4), np.empty(4)], [1, 2]),
        "channel_affine": ([x, cd(), cd(), cd(), np.empty_like(x)], [4]),
        "channel_grad_sums": ([g, x, c64(), np.empty(4), np.empty(4)], [3, 4]),
        "batch_norm_input_grad": ([g, x, cd(), cd(), cd(), cd(), np.empty_like(x)], [6]),
        "relu_backward": ([g.reshape(-1), x.reshape(-1) - 7, np.empty(60, dtype)], [2]),
    }
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for name, (args, outputs) in cases.items():
        compiled, plain = _pair(name, args, outputs)
        for a, b in zip(compiled, plain):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


def test_dispatch_by_array_module(monkeypatch):
    """NumPy arrays get the compiled kernel; another array module's the portable form; an
    unknown name is refused with the list of kernels."""
    assert backend.kernel("relu_backward", np.zeros(2)) is kernels.relu_backward
    other = types.ModuleType("cupy")
    monkeypatch.setattr(backend, "array_module", lambda *a: other)
    assert backend.kernel("relu_backward", object()) is portable.relu_backward
    assert backend.kernel("channel_moments", object()) is portable.channel_moments
    with pytest.raises(ValueError, match="kernel: name must be one of channel_moments.*'gelu'"):
        backend.kernel("gelu")


@pytest.mark.parametrize("name", ["channel_moments", "channel_grad_sums"])
def test_channel_sums_over_a_range_of_channels_write_only_that_range(name):
    """c0 ≤ c < c1 (a thread's share of the channels, ops/norm.py): the same values as the
    whole call there, compiled and portable, and nothing written outside."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((3, 5, 7)) + 2).astype(np.float32)
    g = rng.standard_normal((3, 5, 7)).astype(np.float32)
    ins = [x] if name == "channel_moments" else [g, x, rng.standard_normal(5)]
    whole = [np.empty(5), np.empty(5)]
    getattr(kernels, name)(*ins, *whole)
    for impl in (kernels, portable):
        part = [np.full(5, -1.0), np.full(5, -1.0)]
        getattr(impl, name)(*ins, *part, 1, 3)
        for w, p in zip(whole, part):
            np.testing.assert_allclose(p[1:3], w[1:3], rtol=1e-6)
            assert (p[[0, 3, 4]] == -1.0).all()
