"""The in-place methods (gradwork/ops/inplace.py): every one passes through Tensor._inplace,
so every one bumps the version counter; recorded ones give PyTorch's values and gradients."""
import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.ops import INPLACE

# arguments for each in-place method (on a (2, 3) float tensor of positive values)
ARGS = {
    "zero_": (), "fill_": (1.5,), "copy_": (np.ones((2, 3), np.float32),),
    "uniform_": (), "normal_": (), "__setitem__": ((0, 1), 2.0),
    "add_": (1.0,), "sub_": (1.0,), "mul_": (2.0,), "div_": (2.0,), "pow_": (2.0,),
    "clamp_": (0.1, 0.5), "clip_": (0.1, 0.5), "clamp_min_": (0.2,), "clamp_max_": (0.2,),
    "masked_fill_": (np.array([[True, False, True]] * 2), 0.0), "lerp_": (np.zeros((2, 3)), 0.5),
    "scatter_": (1, np.array([[0], [2]]), 7.0), "scatter_add_": (1, np.array([[0], [2]]),
                                                                 np.ones((2, 1))),
    "tril_": (), "triu_": (), "round_": (),
}


def _wrap(a):
    return gw.tensor(a) if isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_every_in_place_method_bumps_the_version_counter(name):
    x = gw.tensor(np.arange(1, 7, dtype=np.float32).reshape(2, 3) / 4)
    view, alias = x[0], x.detach()
    args = tuple(_wrap(a) for a in ARGS.get(name, ()))
    out = getattr(x, name)(*args)
    assert x._version == 1, f"{name} did not bump the version counter"
    assert view._version == alias._version == 1          # shared by views and detach()
    assert x.data._version == 0                          # .data: its own counter, as PyTorch
    if name != "__setitem__":
        assert out is x


@pytest.mark.parametrize("name", sorted(set(INPLACE) - {"uniform_", "normal_", "__setitem__"}))
def test_in_place_methods_match_pytorch_values_and_gradients(name):
    base = np.arange(1, 7, dtype=np.float64).reshape(2, 3) / 4
    results = []
    for mod, wrap in ((gw, _wrap), (torch, lambda a: torch.tensor(a) if isinstance(
            a, np.ndarray) else a)):
        leaf = mod.tensor(base, requires_grad=True)
        h = leaf * 1.5                                    # a non-leaf: in-place is recorded
        getattr(h, name)(*[wrap(a) for a in ARGS.get(name, ())])
        (h * mod.tensor(base)).sum().backward()
        results.append((h.detach().numpy(), leaf.grad.numpy() if leaf.grad is not None else 0))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_augmented_assignment_is_the_in_place_method():
    x = gw.ones(3)
    alias = x
    x += 1
    x *= gw.tensor([1.0, 2.0, 3.0])
    assert x is alias and x._version == 2
    np.testing.assert_array_equal(x.numpy(), [2.0, 4.0, 6.0])


def test_in_place_on_a_view_of_a_graph_tensor_is_refused_clearly():
    h = gw.randn(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="view of a tensor inside the autograd graph"):
        h[0].mul_(2.0)


def test_result_type_must_fit_like_pytorch():
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired "
                                           "output type int64"):
        gw.tensor([1, 2]).add_(1.5)
