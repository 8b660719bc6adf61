"""nn/norm.py: BatchNorm1d/2d, LayerNorm, GroupNorm, LocalResponseNorm against torch.nn."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from tests.helpers import to_torch


def copy_state(gw_module, torch_module):
    gw_module.load_state_dict({k: v.numpy() for k, v in torch_module.state_dict().items()})


def assert_state_equal(gw_module, torch_module, atol=1e-6):
    t_state = torch_module.state_dict()
    g_state = gw_module.state_dict()
    assert list(g_state) == list(t_state)
    for k in t_state:
        np.testing.assert_allclose(g_state[k].detach().numpy(), t_state[k].numpy(), rtol=1e-5,
                                   atol=atol, err_msg=k)
        assert g_state[k].dtype == t_state[k].numpy().dtype, k


def run_trajectory(make_gw, make_torch, shape, steps=5, seed=0):
    """`steps` training steps (forward, backward, SGD on γ and β), then an eval forward;
    buffers, outputs and gradients compared after each step."""
    rng = np.random.default_rng(seed)
    g_bn, t_bn = make_gw(), make_torch()
    if t_bn.affine:   # non-trivial γ, β
        with torch.no_grad():
            t_bn.weight.uniform_(0.5, 1.5)
            t_bn.bias.uniform_(-0.5, 0.5)
    copy_state(g_bn, t_bn)
    for step in range(steps):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        v = rng.standard_normal(shape).astype(np.float32)
        gx, tx = gw.tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
        gy, ty = g_bn(gx), t_bn(tx)
        np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), atol=1e-5,
                                   err_msg=f"step {step}")
        (gy * gw.tensor(v)).sum().backward()
        (ty * torch.from_numpy(v)).sum().backward()
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-4)
        if t_bn.affine:
            for gp, tp in zip(g_bn.parameters(), t_bn.parameters()):
                np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4)
                with gw.no_grad():
                    gp.sub_(0.1 * gp.grad.numpy())
                with torch.no_grad():
                    tp.sub_(0.1 * tp.grad)
                gp.grad, tp.grad = None, None
        assert_state_equal(g_bn, t_bn)
    g_bn.eval()
    t_bn.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    with gw.no_grad():
        gy = g_bn(gw.tensor(x))
    np.testing.assert_allclose(gy.detach().numpy(), t_bn(to_torch(x)).detach().numpy(), atol=1e-5)
    assert_state_equal(g_bn, t_bn)


@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"momentum": None}, {"momentum": 0.5},
                                {"track_running_stats": False}, {"eps": 1e-2}])
def test_batchnorm2d_trajectory(kw):
    run_trajectory(lambda: nn.BatchNorm2d(3, **kw), lambda: torch.nn.BatchNorm2d(3, **kw),
                   (4, 3, 5, 3))


@pytest.mark.parametrize("shape", [(6, 4), (2, 4), (3, 4, 7), (2, 4, 1)])
@pytest.mark.parametrize("kw", [{}, {"momentum": None, "affine": False}])
def test_batchnorm1d_trajectory(shape, kw):
    run_trajectory(lambda: nn.BatchNorm1d(4, **kw), lambda: torch.nn.BatchNorm1d(4, **kw), shape)


def test_batchnorm_state_dict_matches_pytorch():
    for g, t in [(nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)),
                 (nn.BatchNorm1d(5, affine=False), torch.nn.BatchNorm1d(5, affine=False)),
                 (nn.BatchNorm2d(5, track_running_stats=False),
                  torch.nn.BatchNorm2d(5, track_running_stats=False))]:
        assert list(g.state_dict()) == list(t.state_dict())
        assert_state_equal(g, t)
    bn = nn.BatchNorm2d(5)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]


def test_batchnorm_eval_in_a_network_and_buffers_untouched_in_eval():
    bn = nn.BatchNorm2d(2)
    bn.eval()
    before = bn.running_mean.detach().numpy().copy()
    bn(gw.randn(3, 2, 4, 4))
    np.testing.assert_array_equal(bn.running_mean.detach().numpy(), before)
    assert int(bn.num_batches_tracked.item()) == 0


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D"):
        nn.BatchNorm2d(3)(gw.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D"):
        nn.BatchNorm1d(3)(gw.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm2d(3)(gw.randn(1, 3, 1, 1))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(gw.randn(1, 3))
    with pytest.raises(ValueError, match="num_features must be a positive integer"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm2d(3, momentum=1.5)
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 3 channels \(dim 1\), got "
                                         r"input of shape \(2, 4, 2, 2\)"):
        nn.BatchNorm2d(3)(gw.randn(2, 4, 2, 2))
    bn = nn.BatchNorm1d(3).eval()
    assert bn(gw.randn(1, 3)).shape == (1, 3)


@pytest.mark.parametrize("cls,args,shape", [
    (nn.LayerNorm, ((4, 5),), (3, 4, 5)), (nn.LayerNorm, (6,), (2, 6)),
    (nn.GroupNorm, (2, 6), (3, 6, 4, 4)), (nn.GroupNorm, (3, 3), (2, 3, 5)),
    (nn.LocalResponseNorm, (3,), (2, 6, 4, 4)),
    (nn.LocalResponseNorm, (2, 0.1, 0.5, 2.0), (2, 5, 3))])
def test_other_norm_layers_match_pytorch(cls, args, shape):
    t_mod = getattr(torch.nn, cls.__name__)(*args)
    g_mod = cls(*args)
    with torch.no_grad():
        for p in t_mod.parameters():
            p.uniform_(-1, 1)
    copy_state(g_mod, t_mod)
    assert list(g_mod.state_dict()) == list(t_mod.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    gx, tx = gw.tensor(x, requires_grad=True), to_torch(x, requires_grad=True)
    gy, ty = g_mod(gx), t_mod(tx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), atol=1e-5)
    gy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-4)
    for (name, gp), tp in zip(g_mod.named_parameters(), t_mod.parameters()):
        np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=name)


def test_other_norm_layer_errors():
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(5\) must be divisible"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"GroupNorm: expected input of shape \(N, 4, \*\)"):
        nn.GroupNorm(2, 4)(gw.randn(2, 6, 3))
    with pytest.raises(ValueError, match="LocalResponseNorm: size must be a positive integer"):
        nn.LocalResponseNorm(0)
