"""One helper checks any op against PyTorch (forward and backward) and by central differences.

    check_op(lambda x, w: F.linear(x, w), lambda x, w: torch.nn.functional.linear(x, w),
             shapes=[(3, 4), (5, 4)])
"""
import numpy as np
import torch

import gradwork as gw
from gradwork.tools import gradcheck


def to_torch(t, requires_grad=None):
    arr = t.detach().numpy() if isinstance(t, gw.Tensor) else np.asarray(t)
    out = torch.from_numpy(np.array(arr, copy=True))
    rg = t.requires_grad if requires_grad is None and isinstance(t, gw.Tensor) else requires_grad
    if rg:
        out.requires_grad_(True)
    return out


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def assert_close(actual, expected, atol=1e-5, rtol=1e-4, what="value"):
    a = actual.detach().numpy() if isinstance(actual, gw.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != reference {e.shape}"
    np.testing.assert_allclose(a, e, atol=atol, rtol=rtol, err_msg=what)


def random_inputs(shapes, dtype=np.float64, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        x = rng.standard_normal(s).astype(dtype)
        if positive:
            x = np.abs(x) + 0.5
        out.append(x)
    return out


def check_op(gw_fn, torch_fn, shapes=None, arrays=None, grad=True, numeric=True,
             dtypes=(np.float64,),
             atol=1e-6, rtol=1e-5, seed=0, positive=False, requires_grad=None):
    """Compare gw_fn and torch_fn on the same random inputs: forward values, and gradients of
    ⟨output, v⟩ for a random v; then gradcheck gw_fn in float64. Returns gradwork's outputs."""
    if arrays is None:
        arrays = random_inputs(shapes, seed=seed, positive=positive)
    requires_grad = requires_grad or [a.dtype.kind == "f" for a in arrays]
    result = None
    for dtype in dtypes:
        tol = (atol, rtol) if dtype == np.float64 else (max(atol, 1e-4), max(rtol, 1e-3))
        cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
        gx = [gw.Tensor(a.copy(), requires_grad=bool(r and grad))
              for a, r in zip(cast, requires_grad)]
        tx = [to_torch(a, requires_grad=bool(r and grad)) for a, r in zip(cast, requires_grad)]
        gout, tout = as_list(gw_fn(*gx)), as_list(torch_fn(*tx))
        assert len(gout) == len(tout), f"{len(gout)} outputs vs reference {len(tout)}"
        for i, (g, t) in enumerate(zip(gout, tout)):
            assert g.dtype == np.dtype(str(t.dtype).replace("torch.", "")), \
                f"output {i}: dtype {g.dtype} != reference {t.dtype}"
            assert_close(g, t, *tol, what=f"forward output {i} ({dtype.__name__})")
        result = gout
        if not grad:
            continue
        rng = np.random.default_rng(seed + 1)
        total_g, total_t = None, None
        for g, t in zip(gout, tout):
            if g.requires_grad and g.dtype.kind == "f":
                v = rng.standard_normal(g.shape).astype(dtype)
                tg = (g * gw.Tensor(v)).sum()
                tt = (t * torch.from_numpy(v)).sum()
                total_g = tg if total_g is None else total_g + tg
                total_t = tt if total_t is None else total_t + tt
        if total_g is None:
            continue
        total_g.backward()
        total_t.backward()
        for i, (g, t) in enumerate(zip(gx, tx)):
            if not g.requires_grad:
                continue
            tg = t.grad if t.grad is not None else torch.zeros_like(t)
            gg = g.grad if g.grad is not None else np.zeros(g.shape, g.dtype)
            assert_close(gg, tg, *tol, what=f"gradient of input {i} ({dtype.__name__})")
    if grad and numeric:
        gx = [gw.Tensor(a.copy(), requires_grad=bool(r)) for a, r in zip(arrays, requires_grad)]
        gradcheck(gw_fn, gx)
    return result
