"""Module: registration, traversal, modes, dtype, and state dicts with PyTorch's keys."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.register_buffer("scale", gw.ones(8))
        self.register_buffer("scratch", gw.zeros(3), persistent=False)
        self.layers = nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8)])
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 2), "b": nn.Linear(8, 3, bias=False)})
        self.gain = nn.Parameter(np.ones(1, np.float32))

    def forward(self, x):
        h = self.act(self.fc(x)) * self.scale
        for layer in self.layers:
            h = self.act(layer(h))
        return self.heads["a"](h) * self.gain


class TorchBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 8)
        self.act = torch.nn.ReLU()
        self.register_buffer("scale", torch.ones(8))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)
        self.layers = torch.nn.ModuleList([torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)])
        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(8, 2),
                                          "b": torch.nn.Linear(8, 3, bias=False)})
        self.gain = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        h = self.act(self.fc(x)) * self.scale
        for layer in self.layers:
            h = self.act(layer(h))
        return self.heads["a"](h) * self.gain


def nested():
    return nn.Sequential(Block(), nn.Linear(2, 1)), torch.nn.Sequential(TorchBlock(),
                                                                        torch.nn.Linear(2, 1))


def test_registration_and_names_match_torch():
    model, ref = nested()
    assert [k for k, _ in model.named_parameters()] == [k for k, _ in ref.named_parameters()]
    assert [k for k, _ in model.named_buffers()] == [k for k, _ in ref.named_buffers()]
    assert [k for k, _ in model.named_modules()] == [k for k, _ in ref.named_modules()]
    assert list(model.state_dict()) == list(ref.state_dict())
    assert "0.scratch" not in model.state_dict()
    assert [k for k, _ in model.named_children()] == ["0", "1"]


def test_parameter_count_and_types():
    model, ref = nested()
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in ref.parameters())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert all(not isinstance(b, nn.Parameter) for b in model.buffers())


def test_shared_modules_and_parameters():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(3, 3)
            self.dec = nn.Linear(3, 3)
            self.dec.weight = self.enc.weight
            self.again = self.enc

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Linear(3, 3)
            self.dec = torch.nn.Linear(3, 3)
            self.dec.weight = self.enc.weight
            self.again = self.enc

    model, ref = Tied(), TorchTied()
    names = [k for k, _ in model.named_parameters()]
    assert names == [k for k, _ in ref.named_parameters()] == ["enc.weight", "enc.bias",
                                                                "dec.bias"]
    assert len(list(model.modules())) == len(list(ref.modules())) == 3
    # state_dict lists a shared tensor under every name, as PyTorch does
    assert list(model.state_dict()) == list(ref.state_dict())


def test_train_eval_propagate():
    model, _ = nested()
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[0].train(False)
    assert model.training and not model[0].heads["a"].training


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    model, _ = nested()
    model(gw.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in [model[0].fc.weight, model[1].bias])
    model.zero_grad(set_to_none)
    for p in model.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is None or not p.grad.numpy().any()


def test_apply_visits_children_before_parents_in_torchs_order():
    model, ref = nested()
    seen, ref_seen = [], []
    model.apply(lambda m: seen.append(type(m).__name__))
    ref.apply(lambda m: ref_seen.append(type(m).__name__.replace("TorchBlock", "Block")))
    assert seen == ref_seen
    model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) and
                m.bias is not None else None)
    assert not model[0].fc.bias.detach().numpy().any()


def test_to_double_keeps_objects_and_casts_floats():
    model, _ = nested()
    w = model[0].fc.weight
    model.to(gw.float64)
    assert model[0].fc.weight is w and w.dtype == np.float64
    assert model[0].scale.dtype == np.float64 and model[0].scratch.dtype == np.float64
    assert model(gw.tensor(np.ones((2, 4)))).dtype == np.float64
    assert model.float()[0].fc.weight.dtype == np.float32
    assert model.to("cpu") is model


def test_assignment_rules():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = gw.ones(2, 2)
    seq = nn.Sequential(nn.Linear(2, 2))
    holder = nn.Module()
    holder.child = seq
    with pytest.raises(TypeError, match="child module 'child'"):
        holder.child = 3
    holder.child = None
    assert list(holder.named_children()) == []
    m.register_buffer("mask", gw.ones(2), persistent=False)
    m.register_buffer("mask", gw.ones(2))           # re-registered as persistent
    assert "mask" in m.state_dict()
    m.tag = "plain attribute"
    assert "tag" not in m.state_dict()
    del m.bias
    assert [k for k, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match="Module.__init__"):
        class Broken(nn.Module):
            def __init__(self):
                self.fc = nn.Linear(1, 1)
        Broken()


def _torch_weights(ref):
    return OrderedDict((k, v.clone()) for k, v in ref.state_dict().items())


@pytest.mark.parametrize("kind", ["torch", "numpy", "gradwork", "torch-params"])
def test_load_state_dict_from_torch_values(kind):
    model, ref = nested()
    sd = _torch_weights(ref)
    if kind == "numpy":
        sd = {k: v.numpy().astype(np.float64) for k, v in sd.items()}
    elif kind == "gradwork":
        sd = {k: gw.tensor(v.numpy()) for k, v in sd.items()}
    elif kind == "torch-params":
        sd = {**dict(ref.named_parameters()), **dict(ref.named_buffers())}
        del sd["0.scratch"]
    w = model[0].fc.weight
    result = model.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert model[0].fc.weight is w and w.dtype == np.float32
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(model(gw.tensor(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_reports_every_problem():
    model, ref = nested()
    sd = _torch_weights(ref)
    del sd["0.fc.bias"]
    sd["0.extra"] = torch.zeros(1)
    sd["1.weight"] = torch.zeros(3, 2)
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(sd)
    msg = str(err.value)
    assert "missing keys: 0.fc.bias" in msg and "unexpected keys: 0.extra" in msg
    assert "1.weight: checkpoint shape (3, 2), model shape (1, 2)" in msg
    before = model[0].fc.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match="shape mismatches"):
        model.load_state_dict(sd, strict=False)     # shape mismatches raise even then
    np.testing.assert_array_equal(model[0].fc.weight.detach().numpy(), before)  # none half-loaded


def test_load_state_dict_non_strict_loads_the_rest():
    model, ref = nested()
    sd = _torch_weights(ref)
    del sd["0.fc.bias"]
    sd["0.extra"] = torch.zeros(1)
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["0.fc.bias"] and result.unexpected_keys == ["0.extra"]
    np.testing.assert_array_equal(model[0].fc.weight.detach().numpy(),
                                  ref[0].fc.weight.detach().numpy())


def test_state_dict_values_are_detached_and_keep_vars_gives_parameters():
    model, _ = nested()
    sd = model.state_dict()
    assert not sd["0.fc.weight"].requires_grad
    assert sd["0.fc.weight"].detach().numpy() is model[0].fc.weight.detach().numpy()
    assert model.state_dict(keep_vars=True)["0.fc.weight"] is model[0].fc.weight
    assert list(model.state_dict(prefix="net."))[:3] == ["net.0.gain", "net.0.scale",
                                                          "net.0.fc.weight"]
