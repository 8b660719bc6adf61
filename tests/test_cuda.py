"""The GPU path (gradwork/cuda.py and the array-module rule of every op), on the fake CuPy of
tests/fake_cupy: each op's forward and backward run on `cuda` tensors give the CPU's values,
and every output, every gradient and every tensor made on the way is a (fake) CuPy array.

This proves dispatch, not GPU numerics or speed (see tests/fake_cupy/cupy/__init__.py); on a
machine with CuPy and a GPU the same cases run on the real module (`real_cupy` below)."""
import copy
import traceback

import numpy as np
import pytest

import gradwork as gw
import gradwork.nn.functional as F
from gradwork.autograd import Tensor
from gradwork.backends import mkldnn
from gradwork.nn import ctc as _ctc  # noqa: F401 - the CTC module is exercised through F
from tests import fake_cupy


def _real_cupy():
    try:
        import cupy
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:
        return None


@pytest.fixture
def cuda(monkeypatch):
    """The fake CuPy installed as `cupy`, and a watch on every tensor made while `.on` is set:
    a plain NumPy array reaching a tensor then fails the test."""
    cupy = fake_cupy.install(monkeypatch)
    watch = _Watch(cupy)
    init, make = Tensor.__init__, Tensor._make.__func__

    def checked_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        watch.see(self._data)

    def checked_make(cls, data, *args):
        watch.see(data)
        return make(cls, data, *args)
    monkeypatch.setattr(Tensor, "__init__", checked_init)
    monkeypatch.setattr(Tensor, "_make", classmethod(checked_make))
    return watch


class _Watch:
    def __init__(self, cupy):
        self.cupy, self.on, self.leaks = cupy, False, []

    def see(self, data):
        if self.on and not isinstance(data, self.cupy.ndarray):
            where = traceback.extract_stack(limit=4)[0]
            self.leaks.append(f"{type(data).__name__} from {where.filename}:{where.lineno}")


# ---------------------------------------------------------------- running a case both ways
def _to_cuda(obj):
    if isinstance(obj, Tensor):
        return obj.detach().to("cuda").requires_grad_(obj.requires_grad)
    if isinstance(obj, gw.nn.Module):
        return copy.deepcopy(obj).to("cuda")
    return obj


def _weights(o):
    """Fixed, distinct weights for Σ w·o, on o's device."""
    w = np.cos(np.arange(o.numel(), dtype=np.float64) * 0.7).reshape(o.shape).astype(o.dtype)
    return gw.tensor(w, device=o.device)


def _run(fn, inputs):
    out = fn(*inputs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else [out])
            if isinstance(o, Tensor)]
    loss = None
    for o in outs:
        if o.requires_grad:
            term = (o * _weights(o)).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    grads = []
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad:
            grads.append(x.grad)
        elif isinstance(x, gw.nn.Module):
            grads += [p.grad for p in x.parameters()]
            grads += list(x.buffers())                 # running statistics follow the device
    return outs, grads


def _host(t):
    return t._data.get() if hasattr(t._data, "get") else t._data


def check_on_cuda(watch, fn, inputs, rtol=2e-5, atol=1e-6):
    dev_inputs = [_to_cuda(x) for x in inputs]           # before the CPU run changes state
    gw.manual_seed(0)
    with mkldnn.flags(enabled=False):           # the CPU reference: the same algorithms in NumPy
        ref_out, ref_grads = _run(fn, inputs)
    gw.manual_seed(0)
    before = sum(watch.cupy.calls.values())
    watch.on = True
    try:
        out, grads = _run(fn, dev_inputs)
    finally:
        watch.on = False
    assert not watch.leaks, f"plain arrays reached tensors on cuda: {watch.leaks}"
    assert sum(watch.cupy.calls.values()) > before          # the work went through the module
    assert len(out) == len(ref_out) and len(grads) == len(ref_grads)
    for o, r in zip(out + grads, ref_out + ref_grads):
        if r is None:
            assert o is None
            continue
        assert isinstance(o._data, watch.cupy.ndarray), type(o._data)
        assert o.device == gw.device("cuda:0") and o.dtype == r.dtype and o.shape == r.shape
        np.testing.assert_allclose(_host(o), r.detach().numpy(), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- the cases
def _x(*shape, grad=True, positive=False, seed=0, dtype=np.float32):
    a = np.random.default_rng(seed).standard_normal(shape)
    a = np.abs(a) + 0.5 if positive else a
    return gw.tensor(a.astype(dtype), requires_grad=grad)


def _i(high, *shape, seed=1):
    return gw.tensor(np.random.default_rng(seed).integers(0, high, shape))


OPS = {
    # arithmetic, comparison, unary
    "add": (lambda a, b: a + b, [_x(3, 4), _x(4, seed=1)]),
    "sub_scalar": (lambda a: 2.0 - a * 3, [_x(3, 4)]),
    "mul_div": (lambda a, b: a * b / (b * b + 1), [_x(2, 3), _x(2, 3, seed=1)]),
    "pow": (lambda a, b: a ** b, [_x(3, 3, positive=True), _x(3, 3, seed=1)]),
    "neg_abs": (lambda a: -gw.abs(a), [_x(5)]),
    "lerp": (lambda a, b: gw.lerp(a, b, 0.3), [_x(4), _x(4, seed=1)]),
    "exp_log_sqrt": (lambda a: gw.exp(a) + gw.log(a) + gw.sqrt(a), [_x(4, positive=True)]),
    "sin_cos_tanh_sigmoid": (lambda a: gw.sin(a) * gw.cos(a) + gw.tanh(a) + gw.sigmoid(a),
                             [_x(2, 5)]),
    "clamp_sign_round": (lambda a: gw.clamp(a, -0.5, 0.5) + gw.sign(a) + gw.round(a),
                         [_x(6)]),
    "maximum_minimum_where": (lambda a, b: gw.maximum(a, b) - gw.minimum(a, b)
                              + gw.where(a > b, a, 2 * b), [_x(3, 3), _x(3, 3, seed=1)]),
    "compare_logical": (lambda a, b: gw.logical_and(a > 0, b < 0) | (a == b), [_x(4), _x(4)]),
    "masked_fill": (lambda a: gw.masked_fill(a, a > 0.5, -1.0), [_x(3, 4)]),
    "nan_to_num_isfinite": (lambda a: gw.nan_to_num(a / (a - a[0, 0])) * gw.isfinite(a),
                            [_x(2, 3)]),
    # reductions
    "sum_mean": (lambda a: a.sum(0) + a.mean(1, keepdim=True), [_x(3, 3)]),
    "var_std": (lambda a: gw.var(a, 1) + gw.std(a), [_x(3, 5)]),
    "max_min": (lambda a: gw.max(a, 1)[0] + gw.amin(a, 1) + a.max(), [_x(4, 3)]),
    "argmax_argmin": (lambda a: gw.argmax(a, 1) + gw.argmin(a, 0), [_x(3, 3)]),
    "logsumexp_norm": (lambda a: gw.logsumexp(a, 1) + gw.norm(a), [_x(3, 4)]),
    "cumsum_cumprod": (lambda a: gw.cumsum(a, 1).sum(1) + gw.cumprod(a, 0)[-1], [_x(3, 3)]),
    # shapes, joins, indexing
    "reshape_transpose": (lambda a: a.reshape(4, 3).t().permute(1, 0).flatten(), [_x(3, 4)]),
    "squeeze_expand": (lambda a: a.unsqueeze(0).squeeze(0).unsqueeze(2).expand(3, 4, 2),
                       [_x(3, 4)]),
    "cat_stack_split": (lambda a, b: gw.stack([gw.cat([a, b], 0).split(2)[1], b]),
                        [_x(2, 3), _x(2, 3, seed=1)]),
    "chunk_unbind": (lambda a: gw.chunk(a, 2, 1)[0] * gw.unbind(a, 0)[1][:2], [_x(3, 4)]),
    "getitem": (lambda a: a[1:, ::2] + a[[0, 2]][:, [1, 3]], [_x(3, 4)]),
    "getitem_tensor_mask": (lambda a, i: a[i] + a[a[:, 0] > 0].sum(), [_x(4, 3), _i(4, 5)]),
    "gather_index_select": (lambda a, i: gw.gather(a, 1, i)
                            + gw.index_select(a, 0, i[:, 0])[:, :2],
                            [_x(4, 3), _i(3, 4, 2)]),
    "scatter_add": (lambda a, i, s: gw.scatter_add(a, 1, i, s) + gw.scatter(a, 1, i[:, :1],
                                                                           s[:, :1]),
                    [_x(3, 4), _i(4, 3, 2), _x(3, 2, seed=2)]),
    "flip_roll_repeat": (lambda a: gw.flip(a, [1]) + gw.roll(a, 1, 0)
                         + a.repeat(1, 2)[:, :3] + gw.repeat_interleave(a, 2, 1)[:, ::2],
                         [_x(2, 3)]),
    "sort_topk_argsort": (lambda a: gw.sort(a, 1)[0] + gw.topk(a, 3, 1)[0]
                          + gw.argsort(a, 1), [_x(3, 3)]),
    "tril_triu": (lambda a: gw.tril(a) - gw.triu(a, 1), [_x(4, 4)]),
    "matmul_bmm": (lambda a, b, c: gw.matmul(a, b) @ c + gw.bmm(a, b).sum(),
                   [_x(2, 3, 4), _x(2, 4, 5, seed=1), _x(5, 2, seed=2)]),
    "addmm_outer_linear": (lambda a, b, w: gw.addmm(a, b, w) + gw.outer(a[0], a[:, 0])[:, :1]
                           + F.linear(b, w.t()), [_x(3, 3), _x(3, 4, seed=1),
                                                  _x(4, 3, seed=2)]),
    "einsum": (lambda a, b: gw.einsum("bij,bjk->bik", a, b), [_x(2, 3, 4), _x(2, 4, 2)]),
    # activations
    "relu_family": (lambda a: F.relu(a) + F.leaky_relu(a, 0.1) + F.elu(a) + F.selu(a)
                    + F.silu(a) + F.mish(a) + F.hardswish(a) + F.softplus(a), [_x(3, 5)]),
    "relu_large": (lambda a: F.relu(a), [_x(1 << 20)]),     # relu's compiled path on NumPy
    "gelu": (lambda a: F.gelu(a) + F.gelu(a, approximate="tanh"), [_x(2, 4)]),
    "prelu": (lambda a, w: F.prelu(a, w), [_x(2, 3, 4), _x(3, seed=1)]),
    "softmax_logsoftmax": (lambda a: F.softmax(a, 1) + F.log_softmax(a, 0), [_x(3, 4)]),
    # losses
    "mse_l1_huber": (lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b) + F.huber_loss(a, b),
                     [_x(3, 4), _x(3, 4, seed=1)]),
    "bce": (lambda a, t: F.binary_cross_entropy(gw.sigmoid(a), t)
            + F.binary_cross_entropy_with_logits(a, t),
            [_x(3, 4), (_x(3, 4, grad=False) > 0).float()]),
    "cross_entropy_nll": (lambda a, y: F.cross_entropy(a, y) + F.nll_loss(F.log_softmax(a, 1),
                                                                         y), [_x(4, 5), _i(5, 4)]),
    "cross_entropy_smoothing": (lambda a, y: F.cross_entropy(a, y, label_smoothing=0.1,
                                                             ignore_index=2),
                                [_x(6, 5), _i(5, 6)]),
    "multi_margin": (lambda a, y: F.multi_margin_loss(a, y), [_x(4, 5), _i(5, 4)]),
    "ctc": (lambda lp, y, n, m: F.ctc_loss(F.log_softmax(lp, 2), y, n, m),
            [_x(6, 2, 4), gw.tensor([[1, 2, 2], [3, 1, 0]]), gw.tensor([6, 5]),
             gw.tensor([3, 2])]),
    "cosine_pairwise_normalize": (lambda a, b: F.cosine_similarity(a, b)
                                  + F.pairwise_distance(a, b) + F.normalize(a).sum(1),
                                  [_x(3, 4), _x(3, 4, seed=1)]),
    # convolution, pooling, padding, resampling
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1),
               [_x(2, 3, 6, 6), _x(4, 3, 3, 3, seed=1), _x(4, seed=2)]),
    "conv2d_strided_groups": (lambda x, w: F.conv2d(x, w, stride=2, padding=2, dilation=2,
                                                    groups=2),
                              [_x(2, 4, 9, 9), _x(4, 2, 3, 3, seed=1)]),
    "conv2d_large": (lambda x, w: F.conv2d(x, w, padding=1),         # a thread-split plan
                     [_x(4, 8, 16, 16), _x(16, 8, 3, 3, seed=1)]),
    "conv2d_pointwise": (lambda x, w: F.conv2d(x, w), [_x(2, 3, 4, 4), _x(5, 3, 1, 1)]),
    "conv1d_transpose": (lambda x, w, v: F.conv_transpose1d(F.conv1d(x, w, padding=1), v,
                                                            stride=2),
                         [_x(2, 3, 7), _x(4, 3, 3, seed=1), _x(4, 2, 3, seed=2)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
                         [_x(2, 3, 4, 4), _x(3, 2, 3, 3, seed=1)]),
    "max_avg_pool2d": (lambda x: F.max_pool2d(x, 2) + F.avg_pool2d(x, 2)
                       + F.max_pool2d(x, 3, 2, 1)[..., :2, :2], [_x(2, 3, 4, 4)]),
    "pool1d": (lambda x: F.max_pool1d(x, 2) + F.avg_pool1d(x, 2), [_x(2, 3, 6)]),
    "adaptive_pool": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)) + F.adaptive_max_pool2d(
        x, (2, 3)), [_x(2, 3, 5, 7)]),
    "max_unpool2d": (lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
                     [_x(1, 2, 4, 4)]),
    "pad": (lambda x: F.pad(x, (1, 2, 0, 1)) .sum() + F.pad(x, (1, 1, 1, 1), mode="reflect"),
            [_x(1, 2, 3, 3)]),
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="nearest").sum()
                    + F.interpolate(x, size=(5, 5), mode="bilinear", align_corners=False),
                    [_x(1, 2, 3, 3)]),
    "unfold_fold": (lambda x: F.fold(F.unfold(x, 2, stride=1), (4, 4), 2, stride=1),
                    [_x(1, 2, 4, 4)]),
    "local_response_norm": (lambda x: F.local_response_norm(x, 3), [_x(2, 5, 3, 3)]),
    "inplace": (lambda a: (a * 1).add_(1).mul_(a).clamp_(-1, 1).sub_(0.5).exp_()
                + gw.zeros_like(a).fill_(2.0).add_(a) + a.clone().zero_(), [_x(3, 4)]),
    "setitem": (lambda a, b: _setitem(a * 1, b), [_x(3, 4), _x(4, seed=1)]),
    "binary_xnor": (lambda x, w, v: F.binary_conv2d(x, w, padding=1) + F.xnor_conv2d(
        x, w, padding=1) + F.binary_linear(x.flatten(1), v).sum() + F.xnor_linear(
        x.flatten(1), v, scale_input=True).sum(),
        [_x(2, 3, 4, 4), _x(4, 3, 3, 3, seed=1), _x(5, 48, seed=2)]),
    "dropout": (lambda x: F.dropout(x, 0.4) + F.dropout2d(x, 0.5), [_x(2, 3, 4, 4)]),
    "one_hot_embedding": (lambda i, w: F.embedding(i, w) + F.one_hot(i, 5)[..., :3],
                          [_i(5, 2, 3), _x(5, 3)]),
}


def _setitem(t, v):
    t[1] = v
    t[0, 1:3] = 5.0
    return t


def _m(cls, *args, **kwargs):
    gw.manual_seed(0)
    return cls(*args, **kwargs)


nn = gw.nn
LAYERS = {
    "Linear": (lambda m, x: m(x), [_m(nn.Linear, 4, 3), _x(2, 4)]),
    "Conv1d": (lambda m, x: m(x), [_m(nn.Conv1d, 3, 4, 3, padding=1), _x(2, 3, 6)]),
    "Conv2d": (lambda m, x: m(x), [_m(nn.Conv2d, 3, 4, 3, stride=2), _x(2, 3, 7, 7)]),
    "BatchNorm1d": (lambda m, x: m(x), [_m(nn.BatchNorm1d, 3), _x(4, 3)]),
    "BatchNorm2d_train_eval": (lambda m, x: m(x) + m.eval()(x) + m.train()(x),
                               [_m(nn.BatchNorm2d, 3), _x(2, 3, 4, 4)]),
    "BatchNorm2d_large": (lambda m, x: m(x), [_m(nn.BatchNorm2d, 4), _x(8, 4, 32, 32)]),
    "LayerNorm_GroupNorm_InstanceNorm": (
        lambda a, b, c, x: a(x) + b(x) + c(x),
        [_m(nn.LayerNorm, [4]), _m(nn.GroupNorm, 1, 2), _m(nn.InstanceNorm1d, 2, affine=True),
         _x(3, 2, 4)]),
    "MaxPool2d_AvgPool2d": (lambda a, b, x: a(x) + b(x),
                            [nn.MaxPool2d(2), nn.AvgPool2d(2), _x(2, 2, 4, 4)]),
    "Embedding": (lambda m, i: m(i), [_m(nn.Embedding, 6, 3, padding_idx=0), _i(6, 2, 4)]),
    "RNN": (lambda m, x: m(x), [_m(nn.RNN, 3, 4, num_layers=2), _x(5, 2, 3)]),
    "LSTM": (lambda m, x: m(x)[0], [_m(nn.LSTM, 3, 4, batch_first=True), _x(2, 5, 3)]),
    "LSTM_bidirectional_state": (lambda m, x: m(x)[1], [_m(nn.LSTM, 3, 4, bidirectional=True),
                                                        _x(4, 2, 3)]),
    "GRU": (lambda m, x: m(x), [_m(nn.GRU, 3, 4, num_layers=2), _x(5, 2, 3)]),
    "cells": (lambda a, b, c, x: a(x)[0] + b(x) + c(x),
              [_m(nn.LSTMCell, 3, 4), _m(nn.GRUCell, 3, 4), _m(nn.RNNCell, 3, 4), _x(2, 3)]),
    "MultiheadAttention": (lambda m, q, k: m(q, k, k), [_m(nn.MultiheadAttention, 4, 2),
                                                        _x(3, 2, 4), _x(5, 2, 4, seed=1)]),
    "TransformerEncoderLayer": (lambda m, x: m(x), [_m(nn.TransformerEncoderLayer, 4, 2, 8,
                                                       dropout=0.0), _x(3, 2, 4)]),
    "CrossEntropyLoss_CTCLoss": (
        lambda a, b, x, y, lp, t: a(x, y) + b(F.log_softmax(lp, 2), t, (5, 4), (2, 2)),
        [nn.CrossEntropyLoss(), nn.CTCLoss(), _x(3, 4), _i(4, 3), _x(5, 2, 3),
         gw.tensor([[1, 2], [2, 2]])]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_on_cuda_equals_cpu(cuda, name):
    fn, inputs = OPS[name]
    check_on_cuda(cuda, fn, inputs)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_on_cuda_equals_cpu(cuda, name):
    fn, inputs = LAYERS[name]
    check_on_cuda(cuda, fn, inputs, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- the fake and the watch can fail
def test_fake_cupy_refuses_host_data_and_numpy_calls(cuda):
    cupy = cuda.cupy
    a = cupy.asarray(np.arange(6.0).reshape(2, 3))
    assert isinstance(a.sum(), cupy.ndarray) and a.sum().ndim == 0      # 0-d, as CuPy's
    assert isinstance(a[0, 0], cupy.ndarray) and isinstance(cupy.exp(a), cupy.ndarray)
    assert cupy.calls["h2d"] == 1 and cupy.calls["ufunc.exp"] == 1
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        cupy.concatenate([a, np.ones((1, 3))])
    with pytest.raises(TypeError, match="numpy.concatenate was called on a cupy array"):
        np.concatenate([a, a])
    with pytest.raises(TypeError, match="host data mixed into device data"):
        a[...] = np.zeros((2, 3))
    with pytest.raises(AttributeError):
        assert cupy.frompyfunc is None                                # not in CuPy: raises
    assert type(cupy.asnumpy(a)) is np.ndarray and type(a.get()) is np.ndarray


def test_convolutions_are_not_split_over_threads_on_cuda(cuda, monkeypatch):
    from gradwork.ops import conv_plan
    splits = []
    over_ranges = conv_plan.over_ranges
    monkeypatch.setattr(conv_plan, "_PARALLEL_MACS", 1)          # every plan splits on NumPy
    monkeypatch.setattr(conv_plan, "over_ranges", lambda fn, n: splits.append(cuda.on) or
                        over_ranges(fn, n))
    check_on_cuda(cuda, lambda x, w: F.conv2d(x, w, padding=1),
                  [_x(2, 3, 6, 6), _x(4, 3, 3, 3, seed=1)])
    assert splits and not any(splits)                             # split on the CPU only


def test_compiled_kernels_refuse_device_arrays(cuda):
    from gradwork import kernels
    g = cuda.cupy.asarray(np.ones(4, np.float32))
    with pytest.raises(TypeError, match="compiled NumPy kernel relu_backward was handed"):
        kernels.relu_backward(g, g, cuda.cupy.empty(4, np.float32))


class _HostFallback(gw.autograd.Function):
    """An op that silently computes on the host: what the tests must catch."""

    def forward(self, x):
        return np.asarray(x) * 2

    def backward(self, g):
        return g * 2


def test_the_watch_catches_a_host_fallback(cuda):
    with pytest.raises(AssertionError, match="plain arrays reached tensors on cuda"):
        check_on_cuda(cuda, lambda x: _HostFallback.apply(x), [_x(3)])


def test_repr_names_the_device(cuda):
    assert repr(gw.ones(2, device="cuda")) == "tensor([1., 1.], device='cuda:0')"


def _zoo(name, *inputs, **kwargs):
    from gradwork.models import registry
    gw.manual_seed(0)
    return [registry.get_model(name, **kwargs), *inputs]


ZOO = {
    "resnet8": (lambda m, x: m(x), _zoo("resnet8", _x(2, 3, 32, 32))),
    "dcgan_generator": (lambda m, z: m(z), _zoo("dcgan_generator", _x(2, 16), nz=16, ngf=8,
                                                 image_size=32)),
    "xnor_lenet5": (lambda m, x: m(x), _zoo("xnor_lenet5", _x(2, 1, 32, 32))),
    "seq2seq_attention": (lambda m, s, t, n: m(s, t, n), _zoo(
        "seq2seq_attention", _i(20, 2, 7), _i(20, 2, 5, seed=2), gw.tensor([7, 4]),
        src_vocab_size=20, tgt_vocab_size=20, embed_size=8, hidden_size=8)),
    "digit_gru_lengths": (lambda m, x, n: m(x, n), _zoo("digit_gru", _x(3, 6, 39),
                                                        gw.tensor([6, 4, 2]))),
}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_on_cuda_equals_cpu(cuda, name):
    fn, inputs = ZOO[name]
    check_on_cuda(cuda, fn, inputs, rtol=1e-4, atol=1e-4)    # sums of tens of terms, reordered
