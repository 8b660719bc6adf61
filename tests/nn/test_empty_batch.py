"""Empty batches (N = 0) through layers, as PyTorch: an empty output of the right shape, and a
backward that gives an empty input gradient and zero parameter gradients."""
import numpy as np
import pytest
import torch

import gradwork as gw
import gradwork.nn as nn

LAYERS = [
    ("Conv2d", (3, 4, 3), {}, (3, 8, 8)),
    ("Conv2d", (3, 4, 3), {"stride": 2, "padding": 1}, (3, 8, 8)),
    ("Conv2d", (4, 4, 3), {"groups": 4}, (4, 8, 8)),                 # depthwise
    ("Conv2d", (3, 4, 1), {}, (3, 8, 8)),                            # pointwise
    ("Conv1d", (3, 4, 3), {"padding": 1}, (3, 9)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2}, (3, 5, 5)),
    ("ConvTranspose1d", (3, 4, 3), {"stride": 2}, (3, 5)),
    ("MaxPool2d", (2,), {}, (3, 8, 8)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, (3, 8, 8)),
    ("MaxPool1d", (2,), {}, (3, 8)),
    ("AvgPool2d", (2,), {}, (3, 8, 8)),
    ("AdaptiveAvgPool2d", (1,), {}, (3, 8, 8)),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, (3, 7, 8)),
    ("AdaptiveMaxPool2d", (2,), {}, (3, 8, 8)),
    ("Linear", (3, 4), {}, (3,)),
    ("BatchNorm2d", (3,), {}, (3, 4, 4)),                            # eval mode
    ("BatchNorm1d", (3,), {}, (3,)),
    ("LayerNorm", (5,), {}, (3, 5)),
]


@pytest.mark.parametrize("name, args, kw, sample", LAYERS,
                         ids=[f"{n}{a}{k or ''}" for n, a, k, _ in LAYERS])
def test_empty_batch_like_torch(name, args, kw, sample):
    ref = getattr(torch.nn, name)(*args, **kw).double().eval()
    mine = getattr(nn, name)(*args, **kw).double().eval()
    mine.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = np.zeros((0,) + sample)
    gx, tx = gw.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = mine(gx), ref(tx)
    assert y.shape == tuple(ty.shape)
    y.sum().backward()
    ty.sum().backward()
    assert gx.grad.shape == x.shape
    for (n, p), (_, tp) in zip(mine.named_parameters(), ref.named_parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy(), err_msg=n)
