"""Run a gradwork optimiser and its PyTorch counterpart side by side.

Both start from the same parameters of a tiny MLP. Each step gradwork computes the loss
and its gradients; the same gradient arrays are handed to PyTorch, so any difference in
the parameters afterwards comes from the update rule alone.
"""
import numpy as np
import torch

import gradwork as gw
import gradwork.nn.functional as F

SHAPES = [(5, 4), (5,), (3, 5), (3,)]


def mlp_arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [(0.5 * rng.standard_normal(s)).astype(dtype) for s in SHAPES]


def mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    out = F.linear(gw.tanh(F.linear(x, w1, b1)), w2, b2)
    return ((out - y) ** 2).mean()


def make_groups(params, groups):
    """`groups`: None (one flat list) or dicts {"idx": [...], option: value}."""
    if groups is None:
        return list(params)
    return [{**{k: v for k, v in g.items() if k != "idx"}, "params": [params[i] for i in g["idx"]]}
            for g in groups]


class Pair:
    """A gradwork and a torch optimiser over equal copies of the MLP's parameters."""

    def __init__(self, gw_cls, torch_cls, kwargs, groups=None, dtype=np.float64, seed=0):
        arrays = mlp_arrays(dtype, seed)
        self.dtype = dtype
        self.gw_params = [gw.nn.Parameter(a.copy()) for a in arrays]
        self.torch_params = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
        self.gw_opt = gw_cls(make_groups(self.gw_params, groups), **kwargs)
        self.torch_opt = torch_cls(make_groups(self.torch_params, groups), **kwargs)
        self.rng = np.random.default_rng(seed + 1)
        self.t = 0

    def step(self, drop=None):
        """One step on a fresh batch; parameter index `drop` gets no gradient (None)."""
        x = self.rng.standard_normal((6, 4)).astype(self.dtype)
        y = self.rng.standard_normal((6, 3)).astype(self.dtype)
        self.gw_opt.zero_grad()
        self.torch_opt.zero_grad()
        mlp_loss(self.gw_params, gw.tensor(x), gw.tensor(y)).backward()
        for i, (g, t) in enumerate(zip(self.gw_params, self.torch_params)):
            if i == drop:
                g.grad = None
            else:
                t.grad = torch.from_numpy(g.grad.numpy().copy())
        self.gw_opt.step()
        self.torch_opt.step()
        self.t += 1

    def assert_close(self, atol=None, rtol=None):
        f32 = self.dtype == np.float32
        atol = atol if atol is not None else (2e-6 if f32 else 1e-12)
        rtol = rtol if rtol is not None else (2e-5 if f32 else 1e-10)
        for i, (g, t) in enumerate(zip(self.gw_params, self.torch_params)):
            assert g.dtype == self.dtype, f"param {i}: dtype {g.dtype}, expected {self.dtype}"
            np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), atol=atol, rtol=rtol,
                                       err_msg=f"param {i} after step {self.t}")


def run_and_compare(gw_cls, torch_cls, kwargs, groups=None, dtype=np.float64, steps=20):
    """`steps` steps; every third step the last parameter has no gradient (skipped)."""
    pair = Pair(gw_cls, torch_cls, kwargs, groups, dtype)
    for k in range(steps):
        pair.step(drop=3 if k % 3 == 2 else None)
        pair.assert_close()
    return pair
