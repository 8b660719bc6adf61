"""Recurrent layers → ONNX's whole-layer ops RNN, LSTM, GRU, one node per layer (both
directions in one node), stacked for num_layers.

Gate order: PyTorch's LSTM weights stack the gates i, f, g, o; ONNX's LSTM i, o, f, c (c is
PyTorch's g). PyTorch's GRU stacks r, z, n; ONNX's GRU z, r, h, and PyTorch applies the
reset gate after the recurrent matmul, which is ONNX's linear_before_reset=1. ONNX wants
W (D, G·H, in), R (D, G·H, H), B (D, 2·G·H) = [W_b, R_b]; outputs Y (T, D, N, H) and
Y_h (D, N, H), which become PyTorch's output (T, N, D·H) and h_n (L·D, N, H).
"""
from ..backend import np
from ..nn.rnn import GRU, LSTM, RNN
from .graph import UnsupportedOperatorError

_LSTM_ORDER = (0, 3, 1, 2)      # ONNX i, o, f, c  from PyTorch i, f, g, o
_GRU_ORDER = (1, 0, 2)          # ONNX z, r, h     from PyTorch r, z, n


def _reorder(w, order, gates):
    """Rows of a (G·H, ...) gate stack in ONNX's gate order."""
    blocks = np.split(w, gates, axis=0)
    return np.concatenate([blocks[i] for i in order], axis=0)


def _weights(module, layer, order, gates):
    """W, R, B initializer arrays for one layer (both directions)."""
    D = 2 if module.bidirectional else 1
    Ws, Rs, Bs = [], [], []
    for suffix in (f"_l{layer}", f"_l{layer}_reverse")[:D]:
        w_ih = getattr(module, "weight_ih" + suffix)._data
        w_hh = getattr(module, "weight_hh" + suffix)._data
        Ws.append(_reorder(w_ih, order, gates))
        Rs.append(_reorder(w_hh, order, gates))
        if module.bias:
            b_ih = getattr(module, "bias_ih" + suffix)._data
            b_hh = getattr(module, "bias_hh" + suffix)._data
            Bs.append(np.concatenate([_reorder(b_ih, order, gates),
                                      _reorder(b_hh, order, gates)]))
    def stack(arrays):
        return np.ascontiguousarray(np.stack(arrays))

    return stack(Ws), stack(Rs), (stack(Bs) if Bs else None)


def _check(g, module, args, kwargs):
    name = type(module).__name__
    refused = [k for k in ("peephole", "coupled", "learn_initial_state")
               if getattr(module, k, False)]
    if kwargs.get("lengths") is not None:
        refused.append("lengths")
    if refused:
        raise UnsupportedOperatorError(
            f"gradwork.onnx.export: {g.where()}: {name} with {', '.join(refused)} has no ONNX "
            f"mapping (ONNX's {name} op has no such option)")
    x = args[0]
    if x.ndim != 3:
        raise UnsupportedOperatorError(f"gradwork.onnx.export: {g.where()}: export {name} with "
                                       "a batched (3-d) input")
    return x


def _export(g, module, args, kwargs, out, op, order, attrs):
    x = _check(g, module, args, kwargs)
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    states = () if hx is None else (tuple(hx) if isinstance(hx, (tuple, list)) else (hx,))
    n_states = 2 if op == "LSTM" else 1
    y, finals = out[0], out[1]
    finals = tuple(finals) if isinstance(finals, (tuple, list)) else (finals,)
    D, H, L = (2 if module.bidirectional else 1), module.hidden_size, module.num_layers
    gates = len(order)
    seq = g.value(x)
    if module.batch_first:
        seq = g.node("Transpose", [seq], perm=[1, 0, 2])                    # (T, N, in)
    lasts = [[] for _ in range(n_states)]
    for k in range(L):
        W, R, B = _weights(module, k, order, gates)
        ins = [seq, g.const(W, f"{op}_W_l{k}"), g.const(R, f"{op}_R_l{k}"),
               g.const(B, f"{op}_B_l{k}") if B is not None else "", ""]
        for s in states:                        # initial_h (, initial_c): rows k·D … k·D+D
            ins.append(g.node("Slice", [g.value(s), g.ints([k * D]), g.ints([k * D + D]),
                                        g.ints([0])]))
        while ins and ins[-1] == "":
            ins.pop()
        outs = g.node(op, ins, n_out=1 + n_states, hidden_size=H,
                      direction="bidirectional" if D == 2 else "forward", **attrs)
        Y = outs[0]                                                          # (T, D, N, H)
        for i in range(n_states):
            lasts[i].append(outs[1 + i])                                    # (D, N, H)
        Y = g.node("Transpose", [Y], perm=[0, 2, 1, 3])                      # (T, N, D, H)
        seq = g.node("Reshape", [Y, g.ints([0, 0, D * H])])                 # (T, N, D·H)
    if module.batch_first:
        seq = g.node("Transpose", [seq], perm=[1, 0, 2])
    g.node("Identity", [seq], [y])
    for t, parts in zip(finals, lasts):
        g.node("Concat", parts, [t], axis=0)                                 # (L·D, N, H)


def export_lstm(g, module, args, kwargs, out):
    _export(g, module, args, kwargs, out, "LSTM", _LSTM_ORDER, {})


def export_gru(g, module, args, kwargs, out):
    _export(g, module, args, kwargs, out, "GRU", _GRU_ORDER, {"linear_before_reset": 1})


def export_rnn(g, module, args, kwargs, out):
    act = {"tanh": "Tanh", "relu": "Relu"}[module.nonlinearity]
    _export(g, module, args, kwargs, out, "RNN", (0,), {"activations": [act] * (
        2 if module.bidirectional else 1)})


MODULE_MAPPINGS = {LSTM: export_lstm, GRU: export_gru, RNN: export_rnn}
