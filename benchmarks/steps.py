"""The timed steps of WORKLOADS.md for each framework: a training step (zero grads, forward,
cross-entropy, backward, SGD lr 0.01 momentum 0.9, loss read back) and an inference step
(eval mode, no graph, output copied to NumPy)."""
import numpy as np

from . import THREADS
from .harness import synthetic_batch

LR, MOMENTUM = 0.01, 0.9


def import_torch():
    import torch
    torch.set_num_threads(THREADS)
    return torch


def gradwork_sgd(params):
    """gradwork.optim.SGD (PyTorch form: v ← 0.9 v + g; p ← p − 0.01 v)."""
    from gradwork.optim import SGD
    return SGD(params, lr=LR, momentum=MOMENTUM)


def gradwork_training_step(model, x_shape, batch=None, device=None):
    """`device` (e.g. "cuda"): the model and the batch moved there first (benchmarks/gpu.py)."""
    import gradwork as gw
    import gradwork.nn.functional as F
    x, y = synthetic_batch(x_shape, batch)
    x, y = gw.tensor(x, device=device), gw.tensor(y, device=device)
    if device is not None:
        model = model.to(device)
    model.train()
    opt = gradwork_sgd(model.parameters())

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def torch_training_step(model, x_shape, batch=None, device=None):
    torch = import_torch()
    x, y = synthetic_batch(x_shape, batch)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    if device is not None:
        x, y, model = x.to(device), y.to(device), model.to(device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def gradwork_inference_step(model, x_shape, device=None):
    import gradwork as gw
    x = gw.tensor(synthetic_batch(x_shape)[0], device=device)
    if device is not None:
        model = model.to(device)
    model.eval()

    def step():
        with gw.no_grad():
            out = model(x)
            if device is not None:
                return out.cpu().numpy()            # the copy to the host ends the step
            return np.array(out.numpy(), copy=True)
    return step


def torch_inference_step(model, x_shape, device=None):
    torch = import_torch()
    x = torch.from_numpy(synthetic_batch(x_shape)[0])
    if device is not None:
        x, model = x.to(device), model.to(device)
    model.eval()

    def step():
        with torch.inference_mode():
            out = model(x)
            if device is not None:
                return out.cpu().numpy()
            return out.numpy().copy()
    return step
