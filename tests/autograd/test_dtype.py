"""float32 in gives float32 out, forward and backward, for every core op: a probe node in
front of each op checks the dtype of the gradient that reaches it (leaf accumulation would
otherwise hide a float64 gradient by casting it back)."""
import numpy as np
import pytest

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.autograd import Function


class Probe(Function):
    """Identity whose backward asserts that the incoming gradient has the input's dtype."""
    needs_inputs = False

    def forward(self, a):
        self.dtype = a.dtype
        return a

    def backward(self, g):
        assert g.dtype == self.dtype, f"gradient dtype {g.dtype} reached an input of {self.dtype}"
        return g


Y = np.array([1, 0, 3])
OPS = {
    "x*2.0": lambda x, p: x * 2.0, "x/3": lambda x, p: x / 3, "x**2": lambda x, p: x ** 2,
    "x**0.5": lambda x, p: p ** 0.5, "2**x": lambda x, p: 2 ** x, "2/x": lambda x, p: 2 / p,
    "2-x": lambda x, p: 2 - x, "x+1": lambda x, p: x + 1, "x*np64": lambda x, p: x * np.float64(3),
    "add": lambda x, p: x + p, "sub": lambda x, p: x - p, "mul": lambda x, p: x * p,
    "div": lambda x, p: x / p, "pow": lambda x, p: p ** x, "neg": lambda x, p: -x,
    "exp": lambda x, p: x.exp(), "log": lambda x, p: p.log(), "sqrt": lambda x, p: p.sqrt(),
    "abs": lambda x, p: x.abs(), "clamp": lambda x, p: x.clamp(-0.5, 0.5),
    "sin": lambda x, p: x.sin(), "sign": lambda x, p: x.sign(),
    "maximum": lambda x, p: gw.maximum(x, x), "minimum": lambda x, p: gw.minimum(x, p),
    "where": lambda x, p: gw.where(x > 0, x, p),
    "masked_fill": lambda x, p: x.masked_fill(x > 0, 1.5),
    "sum": lambda x, p: x.sum(1), "mean": lambda x, p: x.mean(), "var": lambda x, p: x.var(0),
    "std": lambda x, p: x.std(), "max": lambda x, p: x.max(), "max-dim": lambda x, p: x.max(1)[0],
    "amax": lambda x, p: x.amax(0), "logsumexp": lambda x, p: x.logsumexp(1),
    "matmul": lambda x, p: x @ p.T, "matvec": lambda x, p: x @ p[0],
    "linear": lambda x, p: F.linear(x, p, p[:, 0]),
    "reshape": lambda x, p: x.reshape(-1), "permute": lambda x, p: x.permute(1, 0),
    "expand": lambda x, p: x[:1].expand(3, 4), "squeeze": lambda x, p: x[None].squeeze(0),
    "getitem": lambda x, p: x[[0, 0, 2]], "mask": lambda x, p: x[x > 0],
    "gather": lambda x, p: x.gather(1, gw.tensor([[0], [1], [1]])),
    "cat": lambda x, p: gw.cat([x, p], 1), "stack": lambda x, p: gw.stack([x, p]),
    "split": lambda x, p: x.split(2, 1)[1], "unbind": lambda x, p: x.unbind(0)[2],
    "pad": lambda x, p: F.pad(x, (1, -1)),
    "pad-reflect": lambda x, p: F.pad(x[None], (2, 1), mode="reflect"),
    "relu": lambda x, p: F.relu(x), "leaky_relu": lambda x, p: F.leaky_relu(x, 0.1),
    "elu": lambda x, p: F.elu(x), "tanh": lambda x, p: F.tanh(x),
    "sigmoid": lambda x, p: F.sigmoid(x),
    "softplus": lambda x, p: F.softplus(x, beta=2.0), "softmax": lambda x, p: F.softmax(x, 1),
    "log_softmax": lambda x, p: F.log_softmax(x, 0), "dropout": lambda x, p: F.dropout(x, 0.3),
    "cross_entropy": lambda x, p: F.cross_entropy(x, gw.tensor(Y), label_smoothing=0.1,
                                                  weight=gw.ones(4)),
    "cross_entropy-probs": lambda x, p: F.cross_entropy(x, F.softmax(p, 1).detach()),
    "nll_loss": lambda x, p: F.nll_loss(x, gw.tensor(Y)),
    "mse_loss": lambda x, p: F.mse_loss(x, p), "l1_loss": lambda x, p: F.l1_loss(x, p),
    "huber_loss": lambda x, p: F.huber_loss(x, p),
    "bce": lambda x, p: F.binary_cross_entropy(F.sigmoid(x), (p > 1).float()),
    "bce_logits": lambda x, p: F.binary_cross_entropy_with_logits(x, (p > 1).float(),
                                                                 pos_weight=gw.full((4,), 2.0)),
    "multi_margin": lambda x, p: F.multi_margin_loss(x, gw.tensor(Y), p=2),
    "clone": lambda x, p: x.clone(), "to-float": lambda x, p: x.float(),
}


@pytest.mark.parametrize("name", list(OPS))
def test_float32_stays_float32_forward_and_backward(name):
    rng = np.random.default_rng(0)
    x = gw.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    p = gw.tensor((np.abs(rng.standard_normal((3, 4))) + 0.5).astype(np.float32),
                  requires_grad=True)
    out = OPS[name](Probe.apply(x), Probe.apply(p))
    assert out.dtype == np.float32, f"{name}: output dtype {out.dtype}"
    (out * gw.ones(out.shape)).sum().backward()
    for t in (x, p):
        assert t.grad is None or t.grad.dtype == np.float32
