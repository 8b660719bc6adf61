"""Nested checkpoints (gradwork/nested.py, through gradwork.save/load): a training checkpoint
round trip, shared tensors, the refusal of what the format cannot hold, and the map_location /
weights_only arguments of load."""
import json
from collections import OrderedDict

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nested, serialization
from gradwork.errors import CheckpointError


def _trained():
    gw.manual_seed(0)
    model = gw.nn.Sequential(gw.nn.Linear(3, 4), gw.nn.ReLU(), gw.nn.Linear(4, 2))
    opt = gw.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        model(gw.randn(5, 3)).pow(2).sum().backward()
        opt.step()
    return model, opt


def test_training_checkpoint_round_trip_resumes_identically(tmp_path):
    model, opt = _trained()
    ck = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3,
          "history": [0.5, float("inf")], "config": {"lr": 0.01, "name": None, 2: (1, "x")}}
    gw.save(ck, tmp_path / "ck.safetensors")
    back = gw.load(tmp_path / "ck.safetensors", map_location="cpu", weights_only=True)
    assert back["epoch"] == 3 and back["history"] == [0.5, float("inf")]
    assert back["config"] == {"lr": 0.01, "name": None, 2: (1, "x")}
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(ck["model"])
    model2, opt2 = _trained()
    model2[0].weight.data.zero_()
    model2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optim"])
    x = gw.randn(4, 3)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_a_flat_state_dict_stays_plain_safetensors_readable_by_torch(tmp_path):
    from safetensors.torch import load_file
    sd = gw.nn.Linear(2, 3).state_dict()
    gw.save(sd, tmp_path / "m.safetensors")
    assert nested.STRUCTURE_KEY not in serialization.load_metadata(tmp_path / "m.safetensors")
    ref = load_file(str(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(ref["weight"].numpy(), sd["weight"].detach().numpy())


def test_shared_tensors_are_stored_once_and_come_back_shared(tmp_path):
    t = gw.randn(3, requires_grad=True)
    gw.save({"a": [t, t], "b": np.arange(2)}, tmp_path / "s.safetensors")
    back = gw.load(tmp_path / "s.safetensors")
    assert back["a"][0] is back["a"][1] and back["a"][0].requires_grad
    assert isinstance(back["b"], np.ndarray)
    assert len(gw.load(tmp_path / "s.safetensors", as_arrays=True)["a"]) == 2


def test_what_the_format_cannot_hold_is_refused_by_path(tmp_path):
    with pytest.raises(TypeError, match=r"save: obj\['x'\]\[1\] is a set"):
        gw.save({"x": [1, {2}]}, tmp_path / "bad.safetensors")
    assert not (tmp_path / "bad.safetensors").exists()


def test_a_tampered_structure_is_a_checkpoint_error():
    with pytest.raises(CheckpointError, match="names tensor 't9'"):
        nested.unflatten(json.dumps({"tensor": "t9"}), {})
    with pytest.raises(CheckpointError, match="unknown structure node kind 'pickle'"):
        nested.unflatten(json.dumps({"pickle": "x"}), {})


def test_map_location(tmp_path):
    gw.save({"w": gw.ones(2)}, tmp_path / "w.safetensors")
    for loc in ("cpu", gw.device("cpu"), {"cuda:0": "cpu"}, None):
        assert gw.load(tmp_path / "w.safetensors", map_location=loc)["w"].device == "cpu"
    if not gw.cuda.is_available():
        with pytest.raises(RuntimeError, match=r"load\(map_location='cuda'\): no GPU backend"):
            gw.load(tmp_path / "w.safetensors", map_location="cuda")
    with pytest.raises(TypeError, match="map_location as a function"):
        gw.load(tmp_path / "w.safetensors", map_location=lambda s, loc: s)
    assert torch.load is not None            # the same spelling works with torch.load
