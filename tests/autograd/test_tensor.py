"""Tensor semantics as PyTorch's (gradwork/autograd/tensor.py): `.data` a Tensor sharing
storage, detach() sharing storage and version counter, methods that are methods and
properties that are properties, devices, and the import structure of the autograd package."""
import ast
import pathlib

import numpy as np
import pytest
import torch

import gradwork as gw


def test_data_is_a_tensor_sharing_storage_and_optimisers_keep_working():
    gw.manual_seed(0)
    model = gw.nn.Linear(3, 2)
    opt = gw.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    p = model.weight
    assert isinstance(p.data, gw.Tensor) and not p.data.requires_grad and p.data.is_leaf
    p.data.normal_()
    p.data.fill_(0.5)
    np.testing.assert_array_equal(p.detach().numpy(), np.full((2, 3), 0.5, np.float32))
    p.data.mul_(2).add_(1)                   # chained, and not recorded
    assert p.grad_fn is None and p.requires_grad
    np.testing.assert_array_equal(p.detach().numpy(), np.full((2, 3), 2.0, np.float32))
    p.data = gw.ones(2, 3) * 3               # assignment rebinds storage; p stays the object
    assert model.weight is p and p.requires_grad
    for _ in range(2):                       # later optimiser steps still reach p
        opt.zero_grad()
        model(gw.ones(1, 3)).sum().backward()
        opt.step()
    t = torch.nn.Linear(3, 2)
    with torch.no_grad():
        t.weight.copy_(torch.full((2, 3), 3.0))
        t.bias.copy_(torch.from_numpy(model.bias.detach().numpy() * 0 + 0))
    topt = torch.optim.SGD([t.weight], lr=0.1, momentum=0.9)
    for _ in range(2):
        topt.zero_grad()
        t(torch.ones(1, 3)).sum().backward()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)


def test_detach_shares_storage_and_version_counter():
    x = gw.randn(3, requires_grad=True)
    d = x.detach()
    d[0] = 5.0
    assert x.detach().numpy()[0] == 5.0 and x._version == 1 and not d.requires_grad


def test_in_place_on_an_unsaved_non_leaf_works_and_on_a_saved_one_raises_at_backward():
    x = gw.randn(3, requires_grad=True)
    h = x * 2
    h.add_(1)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    h2 = x.sigmoid()                          # sigmoid's backward reads its output
    y = h2.sum()
    h2.mul_(2)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation "
                                           "has been modified by an inplace operation"):
        y.backward()


def test_leaf_in_place_under_grad_mode_is_pytorchs_error():
    w = gw.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        w.add_(1)


# Names that PyTorch defines as methods (called) and as properties (read), checked both sides.
METHODS = ["is_floating_point", "is_complex", "is_contiguous", "dim", "numel", "nelement",
           "element_size", "size", "stride", "clone", "detach", "cpu", "numpy", "tolist",
           "contiguous", "float", "double", "long", "int", "bool", "half", "t", "item"]
PROPERTIES = ["shape", "dtype", "device", "ndim", "is_leaf", "grad_fn", "requires_grad", "grad",
              "data", "T", "mT", "is_cuda", "itemsize", "nbytes"]


@pytest.mark.parametrize("name", METHODS)
def test_methods_are_methods(name):
    x, tx = gw.ones(1, 1), torch.ones(1, 1)
    assert callable(getattr(x, name)) and callable(getattr(tx, name))
    got, ref = getattr(x, name)(), getattr(tx, name)()
    if isinstance(ref, (bool, int, float, tuple, list)) or hasattr(ref, "__len__") and \
            not isinstance(ref, torch.Tensor):
        assert (tuple(got) if name in ("size", "stride") else got) == \
            (tuple(ref) if name in ("size", "stride") else ref)


@pytest.mark.parametrize("name", PROPERTIES)
def test_properties_are_properties(name):
    x, tx = gw.ones(2, 2), torch.ones(2, 2)
    for obj in (x, tx):
        value = getattr(obj, name)
        assert not callable(value) or isinstance(value, (gw.Tensor, torch.Tensor))
    if name in ("ndim", "is_leaf", "requires_grad", "is_cuda", "itemsize", "nbytes"):
        assert getattr(x, name) == getattr(tx, name)


def test_device_object_and_moves():
    x = gw.randn(2)
    assert x.device == "cpu" and x.device == gw.device("cpu") and str(x.device) == "cpu"
    assert x.device != "cuda" and gw.device("cuda:1") == "cuda:1"
    assert gw.device("cuda", 1).index == 1
    assert repr(gw.device("cuda:0")) == repr(torch.device("cuda:0"))
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(gw.device("cpu"), gw.float64).dtype == np.float64
    assert x.to(x.device) is x and x.to("cpu", copy=True) is not x
    if not gw.cuda.is_available():
        for call in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: gw.zeros(1, device="cuda")):
            with pytest.raises(RuntimeError, match="no GPU backend: gradwork runs on CUDA through "
                                                   "CuPy"):
                call()


def test_dtype_names_are_pytorchs():
    for name in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
                 "float64", "half", "float", "double", "long", "int", "short"):
        t = gw.zeros(2, dtype=getattr(gw, name))
        assert str(t.dtype) == str(getattr(torch, name)).replace("torch.", ""), name


def test_clone_is_its_own_op():
    x = gw.randn(3, requires_grad=True)
    y = x.clone()
    assert type(y.grad_fn).__name__ == "Clone" and y.numpy(force=True) is not x.numpy(force=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, np.float32))


def test_tensor_module_does_not_import_the_function_module():
    """The autograd import cycle is gone: tensor.py imports nothing from function.py."""
    src = pathlib.Path(gw.autograd.tensor.__file__).read_text()
    imported = [n.module for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)]
    assert "function" not in imported and ".function" not in str(imported)


def test_needs_input_grad_is_a_plain_attribute_of_every_function():
    from gradwork.autograd import Function
    assert Function.needs_input_grad == ()
    y = gw.randn(2) * gw.randn(2, requires_grad=True)
    assert y.grad_fn.needs_input_grad == (False, True)
