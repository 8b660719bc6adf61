"""Do the gradwork and PyTorch sides of a workload compute the same thing?

The PyTorch model's initial weights are copied into the gradwork model (the state-dict keys
are the same); then a training workload runs 2 timed steps in each framework and compares the
losses and every parameter and buffer afterwards, and an inference workload compares the
outputs. `python -m benchmarks.run --check [--workload ...]` prints one line per workload.
"""
import numpy as np

from . import steps

TOLERANCE = 1e-4   # float32, after two SGD steps


def _cases():
    """Workload → (model builder taking an `nn` module, x shape, batch, training)."""
    from . import w1_lenet, w2_resnet20, w4_vgg16
    cases = {
        "W1": (w1_lenet.lenet5, w1_lenet.X_SHAPE, None, True),
        "W2": (lambda nn: w2_resnet20.resnet20(nn, nn.functional), w2_resnet20.X_SHAPE, None,
               True),
        "W4": (w4_vgg16.vgg16, w4_vgg16.X_SHAPE, None, False),
    }
    try:
        from . import w3_lstm
        cases["W3"] = (lambda nn: w3_lstm.recurrent_classifier(nn, "LSTM"), w3_lstm.X_SHAPE,
                       w3_lstm.N, True)
    except ImportError:
        pass
    return cases


def check(name):
    """Compare the two frameworks on workload `name`; returns a one-line verdict."""
    cases = _cases()
    if name not in cases:
        return f"{name}: no equivalence check"
    import gradwork.nn as gnn
    torch = steps.import_torch()
    build, x_shape, batch, training = cases[name]
    t_model, g_model = build(torch.nn), build(gnn)
    g_model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    if training:
        g_step = steps.gradwork_training_step(g_model, x_shape, batch)
        t_step = steps.torch_training_step(t_model, x_shape, batch)
        g_out = np.array([g_step(), g_step()])
        t_out = np.array([t_step(), t_step()])
        t_state = t_model.state_dict()
        state_err = max(float(np.abs(v.detach().numpy() - t_state[k].numpy()).max())
                        for k, v in g_model.state_dict().items())
    else:
        g_out = steps.gradwork_inference_step(g_model, x_shape)()
        t_out = steps.torch_inference_step(t_model, x_shape)()
        state_err = 0.0
    out_err = float(np.abs(g_out - t_out).max() / max(1.0, float(np.abs(t_out).max())))
    ok = out_err < TOLERANCE and state_err < TOLERANCE
    what = "losses of 2 training steps" if training else "outputs"
    return (f"{name}: {'same' if ok else 'DIFFERENT'} — {what} differ by {out_err:.2g} (relative)"
            + (f", parameters and buffers after them by {state_err:.2g}" if training else ""))
