"""Shared checks for the model zoo tests: parameter counts, torchvision-compatible state dicts,
multiply-add counts, a training step and a save/load round trip."""
import contextlib
import math

import numpy as np
import torch

import gradwork as gw
import gradwork.nn as nn
import gradwork.nn.functional as F
import gradwork.nn.init as init

LAYERS = ("Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d")


def needs_layers(*names):
    """The layers a test module builds on. A missing one is a failure, never a skip: the module
    fails to collect, naming them (issue 14 item 8). Returns no marks (for `pytestmark`)."""
    missing = [n for n in names if not hasattr(nn, n)]
    if missing:
        raise AssertionError("gradwork.nn lacks " + ", ".join(missing))
    return []


_RANDOM_FILLERS = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_",
                   "xavier_uniform_", "xavier_normal_", "orthogonal_")


@contextlib.contextmanager
def zero_init():
    """Models built inside get zero weights instead of random ones: counting parameters or
    multiply-adds needs the structure, not the values, and drawing 138 M random numbers for a
    VGG takes seconds. Weights loaded afterwards replace the zeros."""
    def zero(tensor, *args, **kwargs):
        return init.zeros_(tensor)

    def zero_layer(weight, bias, *args, **kwargs):
        zero(weight)
        if bias is not None:
            zero(bias)

    saved = {name: getattr(init, name) for name in _RANDOM_FILLERS + ("default_layer_init_",)}
    try:
        for name in _RANDOM_FILLERS:
            setattr(init, name, zero)
        init.default_layer_init_ = zero_layer
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)


def torch_meta(make):
    """A torch reference with shapes but no storage (free to build, for key/shape checks)."""
    with torch.device("meta"):
        return make()


def torch_random(make):
    """Build a torch reference on the meta device and fill it with random weights and random
    BatchNorm statistics (so eval-mode comparisons exercise them), cheaply."""
    with torch.device("meta"):
        model = make()
    model = model.to_empty(device="cpu")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim > 1:
                p.normal_(0, 1 / math.sqrt(p[0].numel()), generator=g)
            elif name.endswith("weight"):          # BN scale
                p.uniform_(0.5, 1.5, generator=g)
            else:
                p.normal_(0, 0.1, generator=g)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.normal_(0, 0.1, generator=g)
            elif name.endswith("running_var"):
                b.uniform_(0.5, 1.5, generator=g)
            else:
                b.zero_()
    return model


def count_params(model):
    return sum(p.detach().numpy().size for p in model.parameters())


def key_shapes(state_dict):
    return [(k, tuple(v.shape)) for k, v in state_dict.items()]


def load_from_torch(gw_model, torch_model, tmp_path):
    """torch state_dict → safetensors file → gradwork.load → load_state_dict(strict=True)."""
    from safetensors.torch import save_file
    path = tmp_path / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in torch_model.state_dict().items()}, str(path))
    gw_model.load_state_dict(gw.load(path), strict=True)


def assert_matches_torch(gw_model, torch_model, x, tmp_path, atol=1e-4, rtol=1e-3):
    """Same keys and shapes in the same order, and (after copying the weights) the same eval
    logits on x (N, C, H, W) float32."""
    assert key_shapes(gw_model.state_dict()) == key_shapes(torch_model.state_dict())
    load_from_torch(gw_model, torch_model, tmp_path)
    gw_model.eval()
    torch_model.eval()
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    with gw.no_grad():
        actual = gw_model(gw.tensor(x)).numpy()
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol)


def assert_grads_match_torch(gw_model, torch_model, x, y, atol=1e-4, rtol=1e-3):
    """In training mode (batch statistics), the cross-entropy loss and every parameter's
    gradient agree with the torch reference's (weights already copied)."""
    gw_model.train()
    torch_model.train()
    loss = F.cross_entropy(gw_model(gw.tensor(x)), gw.tensor(y))
    loss.backward()
    expected = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(x)),
                                                 torch.from_numpy(y))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-5)
    grads = dict(torch_model.named_parameters())
    for name, p in gw_model.named_parameters():
        g = grads[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), g, atol=atol * np.abs(g).max(), rtol=rtol,
                                   err_msg=name)


def count_macs(model, x):
    """Multiply-adds of the Conv2d, ConvTranspose2d and Linear layers in one forward pass on x
    (other layers are not counted, as in the papers' and torchvision's tables). Returns
    (conv_macs, linear_macs)."""
    totals = {"conv": 0, "linear": 0}

    def conv_hook(m, inputs, out):
        k = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]    # C_in/groups · kh · kw
        totals["conv"] += out.detach().numpy().size * k

    def linear_hook(m, inputs, out):
        totals["linear"] += out.detach().numpy().size * m.in_features

    handles = [m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
               for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with gw.no_grad():
        model.eval()(x)
    for h in handles:
        h.remove()
    return totals["conv"], totals["linear"]


def run(model, x):
    """model(x), or model(*x) for a model of several inputs."""
    return model(*x) if isinstance(x, tuple) else model(x)


def training_step_lowers_loss(model, x, y, lr=0.05, loss_fn=F.cross_entropy):
    """One SGD step on (x, y) must lower the loss on (x, y) (same dropout masks both times)."""
    model.train()
    opt = gw.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    gw.manual_seed(1)
    before = loss_fn(run(model, x), y)
    opt.zero_grad()
    before.backward()
    opt.step()
    gw.manual_seed(1)
    with gw.no_grad():
        after = loss_fn(run(model, x), y)
    assert after.item() < before.item(), f"loss {before.item():.4f} → {after.item():.4f}"


def fit(model, x, y, steps, lr, loss_fn=F.cross_entropy, optimizer="adam"):
    """Train on one fixed batch; returns the losses."""
    model.train()
    opt = (gw.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam"
           else gw.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    losses = []
    for _ in range(steps):
        loss = loss_fn(run(model, x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def assert_round_trip(model, make_model, x, tmp_path):
    """save → load into a freshly built model gives identical eval outputs."""
    model.eval()
    path = tmp_path / "model.safetensors"
    gw.save(model.state_dict(), path)
    other = make_model()
    other.load_state_dict(gw.load(path), strict=True)
    other.eval()
    with gw.no_grad():
        np.testing.assert_array_equal(run(other, x).numpy(), run(model, x).numpy())


def sequence_log_prob(logits, tokens, end_token):
    """Σ_t log softmax(logits)[t, tokens[t]] over each sequence's tokens up to and including
    its first end token (all of them if end_token is None) (N,): teacher-forced logits
    (N, L, V) for generated tokens (N, L)."""
    log_p = torch.log_softmax(torch.from_numpy(np.asarray(logits, np.float64)), -1).numpy()
    picked = np.take_along_axis(log_p, tokens[..., None], -1)[..., 0]         # (N, L)
    is_end = tokens == end_token if end_token is not None else np.zeros(tokens.shape, bool)
    after_end = np.cumsum(is_end, 1) - is_end > 0                             # past the first
    return np.where(after_end, 0.0, picked).sum(1)
