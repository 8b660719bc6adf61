"""The Optimizer base: param groups, zero_grad, step, closure, state dicts and checkpoints."""
import json

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.optim import SGD, Adam, AdamW, RMSprop, flatten_state_dict, unflatten_state_dict
from gradwork.serialization import load_metadata
from tests.optim.reference import Pair, mlp_arrays, mlp_loss


def params(n=2, dtype=np.float32):
    return [gw.nn.Parameter(np.arange(3, dtype=dtype) + i) for i in range(n)]


def test_param_groups_fill_defaults_and_keep_overrides():
    a, b = params()
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    g0, g1 = opt.param_groups
    assert g0["params"] == [a] and g0["lr"] == 0.1 and g0["momentum"] == 0
    assert g1["params"] == [b] and g1["lr"] == 0.5 and g1["momentum"] == 0.9
    assert set(g0) == {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov",
                       "maximize"}


def test_add_param_group_takes_part_in_step():
    a, b = params()
    opt = SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 1.0})
    a.grad, b.grad = gw.ones(3), gw.ones(3)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [-0.1, 0.9, 1.9], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [0.0, 1.0, 2.0], atol=1e-7)


def test_named_parameters_are_accepted():
    model = gw.nn.Linear(3, 2)
    opt = SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == [model.weight, model.bias]


@pytest.mark.parametrize("make, error, match", [
    (lambda a, b: [], ValueError, "empty parameter list"),
    (lambda a, b: a, TypeError, "single Tensor"),
    (lambda a, b: [a, 3.0], TypeError, "float"),
    (lambda a, b: [{"params": {a}}], TypeError, "set"),
    (lambda a, b: [{"params": [a]}, {"params": [a, b]}], ValueError, "more than one"),
    (lambda a, b: [a * 2], ValueError, "non-leaf"),
])
def test_bad_params_are_rejected(make, error, match):
    a, b = params()
    with pytest.raises(error, match=match):
        SGD(make(a, b), lr=0.1)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    a, b = params()
    a.grad = gw.ones(3)
    SGD([a, b]).zero_grad(set_to_none)
    assert b.grad is None
    if set_to_none:
        assert a.grad is None
    else:
        np.testing.assert_array_equal(a.grad.numpy(), np.zeros(3, np.float32))


@pytest.mark.parametrize("opt_cls", [SGD, Adam, AdamW, RMSprop])
def test_step_is_in_place_keeps_dtype_and_skips_missing_grads(opt_cls):
    a, b = params(dtype=np.float32)
    data_a, before_b = a.detach().numpy(), b.detach().numpy().copy()
    opt = opt_cls([a, b], lr=0.1)
    a.grad = gw.tensor(np.array([1.0, -1.0, 2.0], np.float32))
    opt.step()
    assert a.detach().numpy() is data_a and a.dtype == np.float32 and isinstance(a, gw.nn.Parameter)
    assert not np.allclose(a.detach().numpy(), np.arange(3))
    np.testing.assert_array_equal(b.detach().numpy(), before_b)
    assert b not in opt.state
    for v in opt.state[a].values():
        assert isinstance(v, int) or v.dtype == np.float32


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    (a,) = params(1, np.float64)
    opt = SGD([a], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with gw.no_grad():
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.detach().numpy(), np.arange(3) * 0.8)


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, {"lr": 0.1, "momentum": 0.9}), (Adam, {"lr": 0.01, "amsgrad": True}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
])
def test_state_dict_has_torchs_structure(cls, kwargs):
    pair = Pair(cls, getattr(torch.optim, cls.__name__), kwargs)
    for _ in range(3):
        pair.step()
    mine, ref = pair.gw_opt.state_dict(), pair.torch_opt.state_dict()
    assert sorted(mine["state"]) == sorted(ref["state"])
    for idx, s in ref["state"].items():
        assert set(mine["state"][idx]) == set(s)
        for k, v in s.items():
            if k == "step":
                assert mine["state"][idx]["step"] == v.item()
            else:
                np.testing.assert_allclose(mine["state"][idx][k].detach().numpy(), v.numpy(),
                                           rtol=1e-10)
    for g, r in zip(mine["param_groups"], ref["param_groups"]):
        assert g["params"] == r["params"]
        assert all(g[k] == r[k] for k in g)


def _train(opt, ps, rng, steps):
    for _ in range(steps):
        x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
        opt.zero_grad()
        mlp_loss(ps, gw.tensor(x), gw.tensor(y)).backward()
        opt.step()


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (Adam, {"lr": 0.01, "amsgrad": True}),
    (AdamW, {"lr": 0.01}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
])
def test_checkpoint_through_a_file_resumes_exactly(cls, kwargs, tmp_path):
    def fresh():
        return [gw.nn.Parameter(a) for a in mlp_arrays(np.float64)]

    ref_params = fresh()
    ref = cls([{"params": ref_params[:2]}, {"params": ref_params[2:], "lr": 0.003}], **kwargs)
    _train(ref, ref_params, np.random.default_rng(5), 20)

    ps = fresh()
    opt = cls([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.003}], **kwargs)
    rng = np.random.default_rng(5)
    _train(opt, ps, rng, 10)
    arrays, meta = flatten_state_dict(opt.state_dict(), prefix="optim.")
    model = {f"p{i}": p for i, p in enumerate(ps)}
    gw.save({**model, **arrays}, tmp_path / "ckpt.safetensors",
            metadata={"optimizer": meta})

    loaded = gw.load(tmp_path / "ckpt.safetensors")
    meta = json.loads(load_metadata(tmp_path / "ckpt.safetensors")["optimizer"])
    ps2 = [gw.nn.Parameter(loaded[f"p{i}"]) for i in range(4)]
    opt2 = cls([{"params": ps2[:2]}, {"params": ps2[2:]}], lr=0.5)   # options get restored
    opt2.load_state_dict(unflatten_state_dict(loaded, meta, prefix="optim."))
    assert opt2.param_groups[1]["lr"] == 0.003
    _train(opt2, ps2, rng, 10)
    for p, q in zip(ps2, ref_params):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_loading_a_torch_optimizer_state_continues_like_torch():
    pair = Pair(Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.01})
    for _ in range(5):
        pair.step()
    fresh = Adam(pair.gw_params, lr=1.0)
    fresh.load_state_dict(pair.torch_opt.state_dict())
    pair.gw_opt = fresh
    for _ in range(5):
        pair.step()
        pair.assert_close()


def test_load_state_dict_rejects_mismatched_groups():
    a, b = params()
    saved = SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="state dict has 1 parameter groups, the optimizer 2"):
        SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        SGD([a], lr=0.1).load_state_dict(saved)


def test_load_state_dict_casts_state_to_the_parameter_dtype():
    (a,) = params(1, np.float32)
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.load_state_dict({"state": {0: {"momentum_buffer": np.ones(3)}},
                         "param_groups": [{**opt.state_dict()["param_groups"][0]}]})
    assert opt.state[a]["momentum_buffer"].dtype == np.float32
