"""Sequential, ModuleList, ModuleDict: indexing, keys and registration, as in PyTorch."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork import nn


def keys(m):
    return list(m.state_dict())


def pair_sequential():
    return (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh()),
            torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2),
                                torch.nn.Tanh()))


def test_sequential_forward_composes_in_order():
    seq, ref = pair_sequential()
    seq.load_state_dict(ref.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(seq(gw.tensor(x)).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_sequential_indexing_matches_torch():
    seq, ref = pair_sequential()
    assert len(seq) == len(ref) == 4
    assert isinstance(seq[0], nn.Linear) and seq[-2] is seq[2]
    assert keys(seq[1:3]) == keys(ref[1:3]) == ["2.weight", "2.bias"]   # names are kept
    with pytest.raises(IndexError, match="out of range"):
        seq[4]
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid) and list(seq._modules) == ["0", "1", "2", "3"]
    del seq[0]
    del ref[0]
    assert keys(seq) == keys(ref) == ["1.weight", "1.bias"]           # renumbered
    seq.append(nn.Linear(2, 2))
    ref.append(torch.nn.Linear(2, 2))
    assert keys(seq) == keys(ref)
    assert [type(m).__name__ for m in seq] == ["Sigmoid", "Linear", "Tanh", "Linear"]


def test_sequential_from_ordered_dict():
    layers = OrderedDict([("conv", nn.Linear(2, 3)), ("act", nn.ReLU())])
    seq = nn.Sequential(layers)
    ref = torch.nn.Sequential(OrderedDict([("conv", torch.nn.Linear(2, 3)),
                                           ("act", torch.nn.ReLU())]))
    assert keys(seq) == keys(ref) == ["conv.weight", "conv.bias"]
    assert seq.conv is seq[0]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ref = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert keys(ml) == keys(ref)
    assert len(ml) == 3 and ml[-1] is list(ml)[2]
    assert keys(ml[1:]) == keys(ref[1:]) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    ml.insert(1, nn.Linear(2, 5))
    ref.insert(1, torch.nn.Linear(2, 5))
    del ml[0]
    del ref[0]
    assert keys(ml) == keys(ref) and ml[0].out_features == 5
    ml.extend([nn.Linear(2, 1)])
    ml[0] = nn.Linear(2, 7)
    assert len(ml) == 4 and ml[0].out_features == 7
    assert len(list(ml.parameters())) == 8


def test_module_dict():
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    ref = torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 3), "dec": torch.nn.Linear(3, 2)})
    assert keys(md) == keys(ref) and list(md) == list(ref) == ["enc", "dec"]
    assert "enc" in md and "x" not in md and len(md) == 2
    assert list(md.keys()) == ["enc", "dec"] and md["dec"] is dict(md.items())["dec"]
    md.update({"head": nn.Linear(2, 1)})
    popped = md.pop("enc")
    assert isinstance(popped, nn.Linear) and list(md) == ["dec", "head"]
    assert keys(md) == ["dec.weight", "dec.bias", "head.weight", "head.bias"]
    with pytest.raises(KeyError):
        md["enc"]


def test_nested_containers_register_everything():
    net = nn.Sequential(nn.ModuleList([nn.Linear(1, 1)]), nn.ModuleDict({"a": nn.Linear(1, 1)}))
    ref = torch.nn.Sequential(torch.nn.ModuleList([torch.nn.Linear(1, 1)]),
                              torch.nn.ModuleDict({"a": torch.nn.Linear(1, 1)}))
    assert keys(net) == keys(ref) == ["0.0.weight", "0.0.bias", "1.a.weight", "1.a.bias"]
