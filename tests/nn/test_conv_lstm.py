"""ConvLSTM (nn/conv_lstm.py): gradcheck, shapes, the equations written in torch."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn
from gradwork.tools import gradcheck


def randomise(module, seed=0):
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.uniform(-0.5, 0.5, p.shape)


def torch_conv_lstm(x, params, hidden, peephole, layers):
    """Shi et al. 2015, eq. 3, in torch: x (T, N, C, H, W); params = gradwork's state dict."""
    outputs, states = [], []
    for layer in range(layers):
        p = {k.split(".", 2)[2]: torch.from_numpy(v.detach().numpy()) for k, v in params.items()
             if k.startswith(f"cell_list.{layer}.")}
        k = p["conv.weight"].shape[-1]
        h = c = torch.zeros(x.shape[1], hidden, *x.shape[3:], dtype=x.dtype)
        hs = []
        for x_t in x:
            a = torch.nn.functional.conv2d(torch.cat([x_t, h], 1), p["conv.weight"],
                                           p.get("conv.bias"), padding=k // 2)
            a_i, a_f, a_o, a_c = a.split(hidden, 1)
            zero = torch.zeros(())
            i = torch.sigmoid(a_i + (p["weight_ci"] * c if peephole else zero))
            f = torch.sigmoid(a_f + (p["weight_cf"] * c if peephole else zero))
            c = f * c + i * torch.tanh(a_c)
            o = torch.sigmoid(a_o + (p["weight_co"] * c if peephole else zero))
            h = o * torch.tanh(c)
            hs.append(h)
        x = torch.stack(hs)
        outputs.append(x)
        states.append((h, c))
    return outputs, states


@pytest.mark.parametrize("peephole,bias", [(True, True), (False, True), (True, False)])
def test_gradcheck_cell(peephole, bias):
    cell = nn.ConvLSTMCell(2, 2, 3, bias=bias, peephole=peephole, spatial_size=(3, 3)).double()
    randomise(cell)
    rng = np.random.default_rng(1)
    x, h, c = (gw.Tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((1, 2, 3, 3), (1, 2, 3, 3), (1, 2, 3, 3)))
    gradcheck(lambda x, h, c, *ps: cell(x, (h, c)), [x, h, c, *cell.parameters()])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("peephole", [True, False])
def test_matches_equations_in_torch(batch_first, peephole):
    model = nn.ConvLSTM(2, 3, 3, num_layers=2, batch_first=batch_first, return_all_layers=True,
                        peephole=peephole, spatial_size=(4, 5)).double()
    randomise(model, 2)
    x = np.random.default_rng(3).standard_normal((3, 2, 2, 4, 5))  # (T, N, C, H, W)
    xg = gw.Tensor(x.transpose(1, 0, 2, 3, 4).copy() if batch_first else x, requires_grad=True)
    outputs, states = model(xg)
    xt = torch.tensor(x, requires_grad=True)
    ref_out, ref_states = torch_conv_lstm(xt, model.state_dict(), 3, peephole, 2)
    for out, ref in zip(outputs, ref_out):
        ref = ref.transpose(0, 1) if batch_first else ref
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    for (h, c), (rh, rc) in zip(states, ref_states):
        np.testing.assert_allclose(h.detach().numpy(), rh.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(c.detach().numpy(), rc.detach().numpy(), atol=1e-12)
    (outputs[-1].sum() + states[-1][1].sum()).backward()
    (ref_out[-1].sum() + ref_states[-1][1].sum()).backward()
    grad = xg.grad.numpy().transpose(1, 0, 2, 3, 4) if batch_first else xg.grad.numpy()
    np.testing.assert_allclose(grad, xt.grad.numpy(), atol=1e-12)


def test_shapes():
    model = nn.ConvLSTM(3, [4, 6], [3, (1, 3)], num_layers=2, batch_first=True, peephole=False)
    outputs, states = model(gw.randn(2, 5, 3, 6, 7))                # (N, T, C, H, W)
    assert len(outputs) == len(states) == 1
    assert outputs[0].shape == (2, 5, 6, 6, 7)
    assert [s.shape for s in states[0]] == [(2, 6, 6, 7)] * 2
    model = nn.ConvLSTM(3, 4, 3, num_layers=3, return_all_layers=True, spatial_size=(6, 7))
    outputs, states = model(gw.randn(5, 2, 3, 6, 7))
    assert [o.shape for o in outputs] == [(5, 2, 4, 6, 7)] * 3 and len(states) == 3
    keys = list(model.state_dict())
    assert keys[:5] == ["cell_list.0.weight_ci", "cell_list.0.weight_cf", "cell_list.0.weight_co",
                        "cell_list.0.conv.weight", "cell_list.0.conv.bias"]
    assert model.cell_list[1].conv.weight.shape == (16, 8, 3, 3)


def test_given_hidden_state_is_used():
    model = nn.ConvLSTM(1, 2, 3, num_layers=1, peephole=False).double()
    x = gw.Tensor(np.random.default_rng(4).standard_normal((2, 1, 1, 3, 3)))
    _, [(h, c)] = model(x[:1])
    _, [(h2, c2)] = model(x[1:], [(h, c)])
    _, [(h_all, c_all)] = model(x)
    np.testing.assert_allclose(h2.detach().numpy(), h_all.detach().numpy())
    np.testing.assert_allclose(c2.detach().numpy(), c_all.detach().numpy())


def test_bad_input():
    with pytest.raises(ValueError, match=r"peephole=True needs spatial_size=\(H, W\)"):
        nn.ConvLSTMCell(2, 3, 3)
    with pytest.raises(ValueError, match="kernel_size must be an odd positive int"):
        nn.ConvLSTMCell(2, 3, 2, peephole=False)
    with pytest.raises(ValueError, match="hidden_dim lists 1 layers but num_layers is 2"):
        nn.ConvLSTM(2, [3], 3, 2, peephole=False)
    cell = nn.ConvLSTMCell(2, 3, 3, spatial_size=(4, 4))
    with pytest.raises(ValueError, match=r"input maps are \(5, 4\) .* spatial_size=\(4, 4\)"):
        cell(gw.randn(1, 2, 5, 4))
    with pytest.raises(ValueError,
                       match=r"input must have shape \(N, 2, H, W\), got \(1, 3, 4, 4\)"):
        cell(gw.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"state must be \(h, c\), each of shape \(1, 3, 4, 4\)"):
        cell(gw.randn(1, 2, 4, 4), (gw.randn(1, 3, 4, 4), gw.randn(1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"input must have shape \(T, N, C, H, W\)"):
        nn.ConvLSTM(2, 3, 3, 1, peephole=False)(gw.randn(1, 2, 4, 4))
