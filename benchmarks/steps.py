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


def gradwork_training_step(model, x_shape, batch=None):
    import gradwork as gw
    import gradwork.nn.functional as F
    x, y = synthetic_batch(x_shape, batch)
    x, y = gw.tensor(x), gw.tensor(y)
    model.train()
    opt = gradwork_sgd(model.parameters())

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def torch_training_step(model, x_shape, batch=None):
    torch = import_torch()
    x, y = synthetic_batch(x_shape, batch)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def gradwork_inference_step(model, x_shape):
    import gradwork as gw
    x = gw.tensor(synthetic_batch(x_shape)[0])
    model.eval()

    def step():
        with gw.no_grad():
            return np.array(model(x).numpy(), copy=True)
    return step


def torch_inference_step(model, x_shape):
    torch = import_torch()
    x = torch.from_numpy(synthetic_batch(x_shape)[0])
    model.eval()

    def step():
        with torch.inference_mode():
            return model(x).numpy().copy()
    return step
