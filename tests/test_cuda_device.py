"""Device semantics on the fake CuPy (tests/fake_cupy): moves, PyTorch's refusals, modules,
optimisers, checkpoints, and a LeNet-5 / Adam training step on cuda equal to the CPU's."""
import copy

import numpy as np
import pytest

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.models.lenet import LeNet5
from tests import fake_cupy

MIXED = ("Expected all tensors to be on the same device, but found at least two devices, "
         "cuda:0 and cpu!")


@pytest.fixture
def cupy(monkeypatch):
    return fake_cupy.install(monkeypatch)


def _host(t):
    return t.detach().cpu().numpy()


def test_available_and_moves(cupy):
    assert gw.cuda.is_available() and gw.cuda.device_count() == 1
    x = gw.randn(2, 3)
    xc = x.cuda()
    assert isinstance(xc._data, cupy.ndarray) and xc.is_cuda and xc.device == "cuda:0"
    assert xc.to("cuda") is xc and x.to(gw.device("cuda", 0)).device == gw.device("cuda:0")
    back = xc.cpu()
    assert type(back._data) is np.ndarray and not back.is_cuda
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert xc.to("cuda", gw.float64).dtype == np.float64 and xc.double().is_cuda
    assert xc.tolist() == x.tolist() and xc[0, 0].item() == x[0, 0].item()


def test_moves_are_differentiable(cupy):
    x = gw.randn(3, requires_grad=True)
    y = (x.cuda() * 2).exp().cpu().sum()
    y.backward()
    assert type(x.grad._data) is np.ndarray
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()), rtol=1e-6)


def test_numpy_on_cuda_is_refused_as_pytorch(cupy):
    xc = gw.ones(2, device="cuda")
    msg = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
           "tensor to host memory first.")
    with pytest.raises(TypeError) as e:
        xc.numpy()
    assert str(e.value) == msg
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(xc)
    np.testing.assert_array_equal(xc.cpu().numpy(), [1.0, 1.0])


@pytest.mark.parametrize("op", [
    lambda a, b: a + b,
    lambda a, b: gw.matmul(a, b.t()),
    lambda a, b: F.linear(a, b),
    lambda a, b: gw.cat([a, b]),
    lambda a, b: gw.where(a > 0, a, b),
    lambda a, b: F.mse_loss(a, b),
])
def test_mixed_devices_are_refused_as_pytorch(cupy, op):
    a, b = gw.randn(2, 2, device="cuda"), gw.randn(2, 2)
    with pytest.raises(RuntimeError) as e:
        op(a, b)
    assert str(e.value) == MIXED
    with pytest.raises(RuntimeError, match="found at least two devices, cpu and cuda:0!"):
        op(b, a)


def test_cpu_scalar_tensor_joins_a_cuda_op(cupy):
    a = gw.randn(3, device="cuda", requires_grad=True)
    y = a * gw.tensor(2.0)                               # PyTorch lets 0-d CPU tensors in
    assert y.is_cuda
    y.sum().backward()
    np.testing.assert_allclose(_host(a.grad), [2.0] * 3)
    with pytest.raises(RuntimeError, match="found at least two devices"):
        a * gw.tensor(2.0, requires_grad=True)           # its gradient would cross devices


def test_backward_gradient_on_another_device(cupy):
    y = gw.randn(2, device="cuda", requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="expected device cuda:0 but got cpu"):
        y.backward(gw.ones(2))


def test_factories_with_device(cupy):
    z = gw.zeros(2, 3, device="cuda", requires_grad=True)
    assert z.is_cuda and z.is_leaf and z.requires_grad
    for t in (gw.ones(2, device="cuda"), gw.full((2,), 3.0, device="cuda"),
              gw.arange(4, device="cuda"), gw.eye(2, device="cuda"),
              gw.linspace(0, 1, 3, device="cuda"), gw.tensor([1, 2], device="cuda"),
              gw.randint(0, 5, (3,), device="cuda"), gw.randperm(4, device="cuda"),
              gw.zeros_like(z), gw.ones_like(z), gw.full_like(z, 2.0), gw.randn_like(z),
              gw.rand_like(z), gw.zeros_like(z, device="cpu").cuda()):
        assert isinstance(t._data, cupy.ndarray), t
    assert not gw.zeros_like(z, device="cpu").is_cuda
    gw.manual_seed(3)
    on_cpu = gw.randn(4).numpy()
    gw.manual_seed(3)
    np.testing.assert_array_equal(_host(gw.randn(4, device="cuda")), on_cpu)   # same stream
    p = gw.full((1000,), 0.3, device="cuda")
    assert gw.bernoulli(p).is_cuda and gw.normal(p, p).is_cuda


def test_module_to_cuda_moves_parameters_buffers_and_grads_in_place(cupy):
    m = gw.nn.Sequential(gw.nn.Linear(3, 4), gw.nn.BatchNorm1d(4))
    m(gw.randn(5, 3)).sum().backward()
    params = list(m.parameters())
    assert m.cuda() is m
    assert list(m.parameters()) == params                  # the same objects: optimisers keep them
    for t in params + [p.grad for p in params] + list(m.buffers()):
        assert isinstance(t._data, cupy.ndarray)
    m.to("cpu", gw.float64)
    for t in params + [p.grad for p in params] + list(m.buffers()):
        assert type(t._data) is np.ndarray
    assert params[0].dtype == np.float64
    m.cuda(0)
    assert all(p.is_cuda for p in m.parameters())
    with pytest.raises(RuntimeError, match="device 'mps' is not available"):
        m.to("mps")


def test_optimizer_state_follows_the_parameter(cupy):
    m = gw.nn.Linear(3, 2)
    opt = gw.optim.Adam(m.parameters(), lr=0.1)
    m.cuda()                                               # moved after the optimiser was made
    F.mse_loss(m(gw.randn(4, 3, device="cuda")), gw.zeros(4, 2, device="cuda")).backward()
    opt.step()
    state = opt.state[m.weight]
    assert isinstance(state["exp_avg"]._data, cupy.ndarray) and m.weight.is_cuda
    saved = copy.deepcopy(opt.state_dict())
    cpu_model = gw.nn.Linear(3, 2)
    cpu_opt = gw.optim.Adam(cpu_model.parameters(), lr=0.1)
    cpu_opt.load_state_dict(saved)                          # cuda state into CPU parameters
    assert type(cpu_opt.state[cpu_model.weight]["exp_avg"]._data) is np.ndarray
    opt.load_state_dict(cpu_opt.state_dict())               # and back onto the GPU ones
    assert isinstance(opt.state[m.weight]["exp_avg_sq"]._data, cupy.ndarray)


def test_checkpoint_saved_from_cuda_loads_on_cpu(cupy, tmp_path):
    m = gw.nn.Linear(3, 2).cuda()
    opt = gw.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m(gw.randn(2, 3, device="cuda")).sum().backward()
    opt.step()
    gw.save(m.state_dict(), tmp_path / "m.safetensors")
    gw.save({"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 1},
            tmp_path / "ckpt.safetensors")
    flat = gw.load(tmp_path / "m.safetensors")
    assert not flat["weight"].is_cuda
    np.testing.assert_array_equal(flat["weight"].numpy(), _host(m.weight))
    for loc in (None, "cpu", {"cuda:0": "cpu"}):
        ckpt = gw.load(tmp_path / "ckpt.safetensors", map_location=loc)
        assert not ckpt["model"]["bias"].is_cuda
    on_gpu = gw.load(tmp_path / "ckpt.safetensors", map_location="cuda")
    assert on_gpu["model"]["weight"].is_cuda and on_gpu["epoch"] == 1
    cpu_model = gw.nn.Linear(3, 2)
    cpu_model.load_state_dict(gw.load(tmp_path / "m.safetensors"))
    m2 = gw.nn.Linear(3, 2).cuda()
    m2.load_state_dict(flat)                               # CPU values into a GPU model
    assert m2.weight.is_cuda
    np.testing.assert_array_equal(_host(m2.weight), cpu_model.weight.detach().numpy())


def _train(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_lenet5_training_steps_on_cuda_equal_cpu(cupy, optimizer):
    gw.manual_seed(0)
    cpu = LeNet5()
    gpu = copy.deepcopy(cpu).cuda()
    rng = np.random.default_rng(0)
    x = gw.tensor(rng.standard_normal((8, 1, 32, 32), dtype=np.float32))
    y = gw.tensor(rng.integers(0, 10, 8))

    def make(m):
        if optimizer == "sgd":
            return gw.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        return gw.optim.Adam(m.parameters(), lr=1e-3)
    before = sum(cupy.calls.values())
    ref = _train(cpu, make(cpu), x, y, 2)
    got = _train(gpu, make(gpu), x.cuda(), y.cuda(), 2)
    assert sum(cupy.calls.values()) > before
    np.testing.assert_allclose(got, ref, rtol=1e-5)
    for p, q in zip(gpu.parameters(), cpu.parameters()):
        assert isinstance(p._data, cupy.ndarray) and isinstance(p.grad._data, cupy.ndarray)
        np.testing.assert_allclose(_host(p), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_on_cuda(cupy):
    from gradwork.nn.utils import clip_grad_norm_
    cpu = gw.nn.Linear(4, 3)
    gpu = copy.deepcopy(cpu).cuda()
    x = gw.randn(5, 4)
    for m, xin in ((cpu, x), (gpu, x.cuda())):
        (m(xin) ** 2).sum().backward()
    ref, got = clip_grad_norm_(cpu.parameters(), 0.5), clip_grad_norm_(gpu.parameters(), 0.5)
    assert got.is_cuda
    np.testing.assert_allclose(_host(got), ref.numpy(), rtol=1e-6)
    np.testing.assert_allclose(_host(gpu.weight.grad), cpu.weight.grad.numpy(), rtol=1e-6)


def test_copy_across_devices(cupy):
    dst = gw.zeros(2, 3, device="cuda")
    src = gw.randn(2, 3)
    dst.copy_(src)                                         # PyTorch copies across devices
    assert dst.is_cuda
    np.testing.assert_array_equal(_host(dst), src.numpy())
    dst[0] = gw.ones(3)
    np.testing.assert_array_equal(_host(dst)[0], [1.0, 1.0, 1.0])
    back = gw.zeros(2, 3).copy_(dst)
    assert not back.is_cuda and back.numpy()[0, 0] == 1.0
    with pytest.raises(RuntimeError, match="found at least two devices"):
        dst.add_(src)


def test_cpu_work_never_imports_cupy_and_the_gpu_benchmark_says_why_it_cannot_run(tmp_path):
    """Without the fake: the real environment has no CuPy (skipped where it has)."""
    import os
    import subprocess
    import sys
    if not _no_real_cupy():
        pytest.skip("CuPy is installed here: the no-GPU paths cannot be shown")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    code = ("import sys, gradwork as gw, gradwork.nn.functional as F\n"
            "m = gw.nn.Conv2d(1, 2, 3)\n"
            "F.cross_entropy(m(gw.randn(2, 1, 5, 5)).flatten(1), gw.tensor([0, 1])).backward()\n"
            "gw.save(m.state_dict(), sys.argv[1])\n"
            "assert not gw.cuda.is_available()\n"
            "assert 'cupy' not in sys.modules, 'the CPU path imported cupy'\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.safetensors")], env=env,
                   check=True, cwd=root)
    run = subprocess.run([sys.executable, "-m", "benchmarks.gpu"], env=env, cwd=root,
                         capture_output=True, text=True)
    assert run.returncode == 2 and run.stdout == ""
    assert "no GPU backend, nothing timed: CuPy is not installed" in run.stderr


def _no_real_cupy():
    import importlib.util
    return importlib.util.find_spec("cupy") is None
