"""Weight penalties (deck 002): values and gradients against hand-computed references."""
import numpy as np
import pytest

import gradwork as gw
from gradwork import nn
from gradwork.tools import gradcheck


def model():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    m[0].weight.data[0, 0] = 0.0       # |w| at 0: PyTorch's subgradient sign(0) = 0
    return m


def weights(m, include_all=False):
    return [p.detach().numpy() for p in m.parameters() if include_all or p.ndim >= 2]


@pytest.mark.parametrize("include_all", [False, True])
def test_l2_value_and_gradient(include_all):
    m = model()
    r = nn.l2_penalty(m, include_all=include_all)
    assert r.item() == pytest.approx(sum((w ** 2).sum() for w in weights(m, include_all)))
    r.backward()
    for p in m.parameters():
        expected = 2 * p.detach().numpy() if include_all or p.ndim >= 2 else None
        if expected is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("include_all", [False, True])
def test_l1_value_and_gradient(include_all):
    m = model()
    r = nn.l1_penalty(m, include_all=include_all)
    assert r.item() == pytest.approx(sum(np.abs(w).sum() for w in weights(m, include_all)))
    r.backward()
    np.testing.assert_array_equal(m[0].weight.grad.numpy(), np.sign(m[0].weight.detach().numpy()))
    assert m[0].weight.grad.numpy()[0, 0] == 0


@pytest.mark.parametrize("beta", [1.0, 0.3])
def test_elastic_net_value_and_gradient(beta):
    m = model()
    ps = list(m.parameters())
    r = nn.elastic_net_penalty(ps, beta=beta)
    ws = weights(m)
    assert r.item() == pytest.approx(sum(beta * (w ** 2).sum() + np.abs(w).sum() for w in ws))
    r.backward()
    w = m[2].weight.detach().numpy()
    np.testing.assert_allclose(m[2].weight.grad.numpy(), 2 * beta * w + np.sign(w), rtol=1e-12)


def test_penalty_gradcheck_and_added_to_a_loss():
    w = gw.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    gradcheck(lambda w: nn.l2_penalty([w]) * 0.5, [w])
    w.grad = None
    x = gw.tensor(np.ones((2, 4)))
    loss = (x @ w.T).sum() + 1e-2 * nn.l2_penalty([w])
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 + 2e-2 * w.detach().numpy(), rtol=1e-12)


def test_nothing_to_penalise_is_an_error():
    with pytest.raises(ValueError, match="include_all=True"):
        nn.l2_penalty([nn.Parameter(np.ones(3))])
