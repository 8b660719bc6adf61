"""The probe: everyday PyTorch calls, each run on gradwork and on PyTorch with the same inputs
and its result compared (values, dtypes, shapes, Python types). A user porting a tutorial
writes these; each line here is one habit that must transfer unchanged."""
import numpy as np
import pytest
import torch

import gradwork as gw

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)
V = RNG.standard_normal(4).astype(np.float32)
S = np.abs(RNG.standard_normal((2, 3))).astype(np.float32) + 0.5
IDX = np.array([[0, 2, 1, 3], [3, 3, 0, 1], [1, 0, 2, 2]], np.int64)
IMG = RNG.standard_normal((2, 3, 5, 5)).astype(np.float32)
SEQ = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def _grad(m, fn, *arrays):
    """Gradients of fn(*leaves).sum() with respect to float64 leaves."""
    leaves = [m.tensor(x.astype(np.float64), requires_grad=True) for x in arrays]
    fn(*leaves).sum().backward()
    return [t.grad for t in leaves]


# name → f(m, F, a, b, v, s, i): m is gradwork or torch, F its nn.functional
CALLS = {
    # ---------------------------------------------------------------- creation
    "tensor_list": lambda m, F, *_: m.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "tensor_int": lambda m, F, *_: m.tensor([1, 2, 3]),
    "tensor_bool": lambda m, F, *_: m.tensor([True, False]),
    "tensor_scalar": lambda m, F, *_: m.tensor(3.5),
    "tensor_dtype": lambda m, F, *_: m.tensor([1, 2], dtype=m.float32),
    "zeros": lambda m, F, *_: m.zeros(2, 3),
    "zeros_tuple": lambda m, F, *_: m.zeros((2, 3), dtype=m.int64),
    "ones": lambda m, F, *_: m.ones(3),
    "full": lambda m, F, *_: m.full((2, 2), 7.0),
    "full_int": lambda m, F, *_: m.full((2,), 3),
    "arange": lambda m, F, *_: m.arange(5),
    "arange_step": lambda m, F, *_: m.arange(1, 10, 3),
    "arange_float": lambda m, F, *_: m.arange(0, 1, 0.25),
    "linspace": lambda m, F, *_: m.linspace(0, 1, 5),
    "eye": lambda m, F, *_: m.eye(3),
    "zeros_like": lambda m, F, a, *_: m.zeros_like(a),
    "ones_like": lambda m, F, a, *_: m.ones_like(a),
    "full_like": lambda m, F, a, *_: m.full_like(a, 2.0),
    "empty_shape": lambda m, F, *_: m.empty(2, 3).shape,
    "randn_shape": lambda m, F, *_: m.randn(2, 3).shape,
    "rand_dtype": lambda m, F, *_: m.rand(2, dtype=m.float64).dtype,
    "randint_range": lambda m, F, *_: bool(((m.randint(0, 5, (100,)) >= 0) &
                                            (m.randint(0, 5, (100,)) < 5)).all()),
    "randperm_sorted": lambda m, F, *_: m.randperm(6).sort().values,
    "from_numpy": lambda m, F, *_: m.from_numpy(np.arange(3.0)),
    "new_zeros": lambda m, F, a, *_: a.new_zeros(2),
    "new_ones": lambda m, F, a, *_: a.new_ones((1, 2)),
    "new_tensor": lambda m, F, a, *_: a.new_tensor([1, 2]),
    # ---------------------------------------------------------------- attributes
    "shape": lambda m, F, a, *_: a.shape,
    "size": lambda m, F, a, *_: a.size(),
    "size_dim": lambda m, F, a, *_: a.size(-1),
    "dim": lambda m, F, a, *_: a.dim(),
    "ndim": lambda m, F, a, *_: a.ndim,
    "numel": lambda m, F, a, *_: a.numel(),
    "dtype_eq": lambda m, F, a, *_: a.dtype == m.float32,
    "device_str": lambda m, F, a, *_: str(a.device),
    "device_eq": lambda m, F, a, *_: a.device == m.device("cpu"),
    "is_floating_point": lambda m, F, a, *_: a.is_floating_point(),
    "is_floating_point_int": lambda m, F, a, b, v, s, i: i.is_floating_point(),
    "is_contiguous_t": lambda m, F, a, *_: a.t().is_contiguous(),
    "is_leaf": lambda m, F, a, *_: a.is_leaf,
    "requires_grad": lambda m, F, a, *_: a.requires_grad,
    "element_size": lambda m, F, a, *_: a.element_size(),
    "len": lambda m, F, a, *_: len(a),
    "item": lambda m, F, a, *_: a[0, 0].item(),
    "tolist": lambda m, F, a, b, v, s, i: i.tolist(),
    "float_cast": lambda m, F, a, *_: float(a[1, 1]),
    "int_cast": lambda m, F, a, b, v, s, i: int(i[0, 1]),
    "bool_cast": lambda m, F, a, *_: bool(a[0, 0] > -100),
    "iter": lambda m, F, a, *_: [r for r in a][1],
    "T": lambda m, F, a, *_: a.T,
    "mT": lambda m, F, *_: m.ones(2, 3, 4).mT.shape,
    # ---------------------------------------------------------------- dtype conversions
    "float": lambda m, F, a, b, v, s, i: i.float(),
    "double": lambda m, F, a, *_: a.double(),
    "long": lambda m, F, a, *_: (a * 10).long(),
    "int": lambda m, F, a, *_: (a * 10).int(),
    "bool": lambda m, F, a, *_: a.bool(),
    "half": lambda m, F, a, *_: a.half(),
    "to_dtype": lambda m, F, a, *_: a.to(m.float64),
    "to_device": lambda m, F, a, *_: a.to("cpu"),
    "to_device_dtype": lambda m, F, a, *_: a.to(m.device("cpu"), m.float64),
    "to_other": lambda m, F, a, b, v, s, i: i.to(a),
    "type_as": lambda m, F, a, b, v, s, i: i.type_as(a),
    "cpu": lambda m, F, a, *_: a.cpu(),
    "clone": lambda m, F, a, *_: a.clone(),
    "detach": lambda m, F, a, *_: a.detach(),
    "numpy": lambda m, F, a, *_: a.numpy(),
    # ---------------------------------------------------------------- arithmetic
    "add": lambda m, F, a, b, *_: a + b,
    "add_scalar": lambda m, F, a, *_: a + 1,
    "radd": lambda m, F, a, *_: 2.5 + a,
    "sub": lambda m, F, a, b, *_: a - b,
    "rsub": lambda m, F, a, *_: 1 - a,
    "mul": lambda m, F, a, b, *_: a * b,
    "div": lambda m, F, a, b, *_: a / b,
    "rdiv": lambda m, F, a, b, v, s, i: 1 / s,
    "int_div_float": lambda m, F, a, b, v, s, i: i / 2,
    "pow": lambda m, F, a, b, v, s, i: s ** 2,
    "rpow": lambda m, F, a, *_: 2 ** a,
    "neg": lambda m, F, a, *_: -a,
    "broadcast": lambda m, F, a, b, v, *_: a + v,
    "int_plus_float": lambda m, F, a, b, v, s, i: i + 0.5,
    "int_times_tensor": lambda m, F, a, b, v, s, i: i * a,
    "matmul_op": lambda m, F, a, b, v, *_: a @ v,
    "matmul": lambda m, F, a, b, *_: m.matmul(a, b.T),
    "mm": lambda m, F, a, b, *_: a.mm(b.t()),
    "bmm": lambda m, F, *_: m.bmm(m.tensor(SEQ), m.tensor(SEQ).transpose(1, 2)),
    "outer": lambda m, F, a, b, v, *_: m.outer(v, v),
    "einsum": lambda m, F, a, b, *_: m.einsum("ij,kj->ik", a, b),
    "einsum_ellipsis": lambda m, F, *_: m.einsum("...ij->...ji", m.tensor(SEQ)),
    "lerp": lambda m, F, a, b, *_: m.lerp(a, b, 0.3),
    "abs": lambda m, F, a, *_: a.abs(),
    "exp": lambda m, F, a, *_: a.exp(),
    "log": lambda m, F, a, b, v, s, i: s.log(),
    "sqrt": lambda m, F, a, b, v, s, i: m.sqrt(s),
    "rsqrt": lambda m, F, a, b, v, s, i: s.rsqrt(),
    "square": lambda m, F, a, *_: a.square(),
    "reciprocal": lambda m, F, a, b, v, s, i: s.reciprocal(),
    "sin_cos": lambda m, F, a, *_: a.sin() + m.cos(a),
    "sign": lambda m, F, a, *_: a.sign(),
    "round": lambda m, F, a, *_: (a * 3).round(),
    "clamp": lambda m, F, a, *_: a.clamp(-0.5, 0.5),
    "clamp_min": lambda m, F, a, *_: a.clamp(min=0),
    "clamp_tensor": lambda m, F, a, b, v, *_: a.clamp(min=v),
    "maximum": lambda m, F, a, b, *_: m.maximum(a, b),
    "minimum": lambda m, F, a, b, *_: m.minimum(a, b),
    "where": lambda m, F, a, b, *_: m.where(a > 0, a, b),
    "where_scalar": lambda m, F, a, *_: m.where(a > 0, a, 0.0),
    "where_method": lambda m, F, a, b, *_: a.where(a > b, b),
    "isnan": lambda m, F, *_: m.isnan(m.tensor([1.0, float("nan")])),
    "isinf": lambda m, F, *_: m.tensor([1.0, float("inf")]).isinf(),
    "isfinite": lambda m, F, *_: m.isfinite(m.tensor([1.0, float("inf"), float("nan")])),
    "nan_to_num": lambda m, F, *_: m.nan_to_num(m.tensor([float("nan"), 1.0]), nan=0.5),
    # ---------------------------------------------------------------- comparisons
    "gt": lambda m, F, a, b, *_: a > b,
    "eq_scalar": lambda m, F, a, b, v, s, i: i == 3,
    "ne": lambda m, F, a, b, *_: a != b,
    "le_method": lambda m, F, a, b, *_: a.le(b),
    "all": lambda m, F, a, *_: (a > -10).all(),
    "any": lambda m, F, a, *_: (a > 10).any(),
    "masked_fill": lambda m, F, a, *_: a.masked_fill(a < 0, 0.0),
    # ---------------------------------------------------------------- reductions
    "sum": lambda m, F, a, *_: a.sum(),
    "sum_dim": lambda m, F, a, *_: a.sum(dim=1),
    "sum_keepdim": lambda m, F, a, *_: a.sum(0, keepdim=True),
    "sum_int": lambda m, F, a, b, v, s, i: i.sum(),
    "mean": lambda m, F, a, *_: a.mean(),
    "mean_dims": lambda m, F, *_: m.tensor(IMG).mean((2, 3)),
    "var": lambda m, F, a, *_: a.var(),
    "std_dim": lambda m, F, a, *_: a.std(dim=0),
    "max_all": lambda m, F, a, *_: a.max(),
    "max_dim": lambda m, F, a, *_: a.max(dim=1),
    "max_dim_values": lambda m, F, a, *_: a.max(1).values,
    "min_dim_indices": lambda m, F, a, *_: a.min(0)[1],
    "argmax": lambda m, F, a, *_: a.argmax(),
    "argmax_dim": lambda m, F, a, *_: a.argmax(dim=1),
    "amax": lambda m, F, a, *_: a.amax(dim=(0, 1)),
    "logsumexp": lambda m, F, a, *_: m.logsumexp(a, dim=1),
    "norm": lambda m, F, a, *_: a.norm(),
    "norm_dim": lambda m, F, a, *_: a.norm(dim=1),
    "vector_norm": lambda m, F, a, *_: m.linalg.vector_norm(a, ord=1, dim=0),
    "cumsum": lambda m, F, a, *_: a.cumsum(dim=1),
    "cumprod": lambda m, F, a, *_: m.cumprod(a, 0),
    "sort": lambda m, F, a, *_: a.sort(dim=1, descending=True),
    "argsort": lambda m, F, a, *_: a.argsort(dim=0),
    "topk": lambda m, F, a, *_: a.topk(2),
    "topk_values": lambda m, F, a, *_: m.topk(a, 1, dim=0).values,
    # ---------------------------------------------------------------- shapes
    "reshape": lambda m, F, a, *_: a.reshape(2, 6),
    "reshape_minus1": lambda m, F, a, *_: a.reshape(-1),
    "view": lambda m, F, a, *_: a.view(4, 3),
    "view_minus1": lambda m, F, a, *_: a.view(-1, 2),
    "flatten": lambda m, F, *_: m.tensor(IMG).flatten(1),
    "permute": lambda m, F, *_: m.tensor(IMG).permute(0, 2, 3, 1),
    "transpose": lambda m, F, a, *_: a.transpose(0, 1),
    "squeeze": lambda m, F, *_: m.zeros(1, 3, 1).squeeze(),
    "squeeze_dim": lambda m, F, *_: m.zeros(1, 3, 1).squeeze(0),
    "unsqueeze": lambda m, F, a, *_: a.unsqueeze(1),
    "unsqueeze_neg": lambda m, F, a, b, v, *_: v.unsqueeze(-1),
    "expand": lambda m, F, a, b, v, *_: v.expand(3, 4),
    "expand_as": lambda m, F, a, b, v, *_: v.expand_as(a),
    "repeat": lambda m, F, a, b, v, *_: v.repeat(2, 1),
    "repeat_interleave": lambda m, F, a, *_: a.repeat_interleave(2, dim=0),
    "flip": lambda m, F, a, *_: a.flip(1),
    "roll": lambda m, F, a, *_: a.roll(1, 0),
    "tril": lambda m, F, a, *_: a.tril(),
    "triu": lambda m, F, a, *_: m.triu(a, 1),
    "cat": lambda m, F, a, b, *_: m.cat([a, b], dim=1),
    "cat_mixed": lambda m, F, a, b, v, s, i: m.cat([a, i]),
    "stack": lambda m, F, a, b, *_: m.stack([a, b]),
    "stack_dim": lambda m, F, a, b, *_: m.stack((a, b), dim=-1),
    "split": lambda m, F, a, *_: a.split(2, dim=1),
    "split_sizes": lambda m, F, a, *_: m.split(a, [1, 3], dim=1),
    "chunk": lambda m, F, a, *_: a.chunk(3, 0),
    "unbind": lambda m, F, a, *_: a.unbind(1),
    "contiguous": lambda m, F, a, *_: a.t().contiguous(),
    # ---------------------------------------------------------------- indexing
    "index_int": lambda m, F, a, *_: a[1],
    "index_slice": lambda m, F, a, *_: a[:, 1:3],
    "index_step": lambda m, F, a, *_: a[::2, ::-1] if m is gw else a[::2].flip(1),
    "index_ellipsis": lambda m, F, *_: m.tensor(IMG)[..., 0],
    "index_none": lambda m, F, a, *_: a[None].shape,
    "index_bool": lambda m, F, a, *_: a[a > 0],
    "index_long": lambda m, F, a, *_: a[m.tensor([2, 0])],
    "index_pair": lambda m, F, a, *_: a[m.tensor([0, 1]), m.tensor([3, 2])],
    "gather": lambda m, F, a, b, v, s, i: a.gather(1, i),
    "scatter": lambda m, F, a, b, v, s, i: m.zeros(3, 4).scatter(1, i[:, :1], 1.0),
    "scatter_add": lambda m, F, a, b, v, s, i: m.zeros(3, 4).scatter_add(1, i, a),
    "index_select": lambda m, F, a, *_: a.index_select(1, m.tensor([0, 3])),
    "setitem": lambda m, F, a, *_: _set(a.clone(), (0, 1), 9.0),
    "setitem_mask": lambda m, F, a, *_: _set(a.clone(), a.clone() < 0, 0.0),
    # ---------------------------------------------------------------- in place
    "add_": lambda m, F, a, b, *_: a.clone().add_(b),
    "add_alpha": lambda m, F, a, b, *_: a.clone().add_(b, alpha=0.5),
    "mul_": lambda m, F, a, *_: a.clone().mul_(3),
    "zero_": lambda m, F, a, *_: a.clone().zero_(),
    "fill_": lambda m, F, a, *_: a.clone().fill_(2),
    "clamp_": lambda m, F, a, *_: a.clone().clamp_(0, 1),
    "copy_": lambda m, F, a, b, *_: a.clone().copy_(b),
    "iadd": lambda m, F, a, b, *_: _iadd(a.clone(), b),
    "data_fill": lambda m, F, *_: _data_fill(m),
    "version": lambda m, F, a, *_: _version(a.clone()),
    "inplace_nonleaf_grad": lambda m, F, a, *_: _inplace_nonleaf(m, a),
    # ---------------------------------------------------------------- autograd
    "grad_mul": lambda m, F, a, b, *_: _grad(m, lambda x, y: x * y, A, B),
    "grad_matmul": lambda m, F, *_: _grad(m, lambda x, y: x @ y.T, A, B),
    "grad_softmax": lambda m, F, *_: _grad(m, lambda x: F.softmax(x, dim=1)[:, 0], A),
    "grad_index": lambda m, F, *_: _grad(m, lambda x: x[0] * 2 + x[:, 1].sum(), A),
    "grad_clamp_bounds": lambda m, F, *_: _grad(m, lambda x, lo: x.clamp(min=lo), A, V),
    "grad_norm": lambda m, F, *_: _grad(m, lambda x: x.norm(dim=1), A),
    "grad_sort": lambda m, F, *_: _grad(m, lambda x: x.sort(1)[0] * m.arange(4.0), A),
    "grad_where": lambda m, F, *_: _grad(m, lambda x: m.where(x > 0, x * 3, 1.0), A),
    "grad_fn_name": lambda m, F, a, *_: m.ones(2, requires_grad=True).sum().grad_fn is not None,
    "no_grad": lambda m, F, *_: _no_grad(m),
    "detach_requires_grad": lambda m, F, *_: m.ones(2, requires_grad=True).detach().requires_grad,
    "requires_grad_": lambda m, F, a, *_: a.clone().requires_grad_().requires_grad,
    "retain_grad": lambda m, F, *_: _retain(m),
    # ---------------------------------------------------------------- nn.functional
    "relu": lambda m, F, a, *_: F.relu(a),
    "leaky_relu": lambda m, F, a, *_: F.leaky_relu(a, 0.2),
    "sigmoid": lambda m, F, a, *_: m.sigmoid(a),
    "tanh": lambda m, F, a, *_: a.tanh(),
    "softplus": lambda m, F, a, *_: F.softplus(a),
    "softmax": lambda m, F, a, *_: F.softmax(a, dim=-1),
    "log_softmax": lambda m, F, a, *_: a.log_softmax(dim=1),
    "linear": lambda m, F, a, b, v, *_: F.linear(a, b, v[:3]),
    "conv2d": lambda m, F, *_: F.conv2d(m.tensor(IMG), m.tensor(IMG[:, :, :3, :3]), padding=1),
    "max_pool2d": lambda m, F, *_: F.max_pool2d(m.tensor(IMG), 2),
    "avg_pool2d": lambda m, F, *_: F.avg_pool2d(m.tensor(IMG), 2, stride=1),
    "adaptive_avg_pool2d": lambda m, F, *_: F.adaptive_avg_pool2d(m.tensor(IMG), 1),
    "interpolate_nearest": lambda m, F, *_: F.interpolate(m.tensor(IMG), scale_factor=2),
    "interpolate_bilinear": lambda m, F, *_: F.interpolate(m.tensor(IMG), size=(3, 7),
                                                            mode="bilinear", align_corners=False),
    "interpolate_align": lambda m, F, *_: F.interpolate(m.tensor(IMG), size=(4, 4),
                                                         mode="bilinear", align_corners=True),
    "pad_constant": lambda m, F, a, *_: F.pad(a, (1, 2)),
    "pad_reflect": lambda m, F, *_: F.pad(m.tensor(IMG), (1, 1, 2, 0), mode="reflect"),
    "pad_replicate": lambda m, F, *_: F.pad(m.tensor(IMG), (1, 1, 1, 1), mode="replicate"),
    "pad_circular": lambda m, F, *_: F.pad(m.tensor(IMG), (2, 1, 0, 1), mode="circular"),
    "one_hot": lambda m, F, a, b, v, s, i: F.one_hot(i[0], 5),
    "normalize": lambda m, F, a, *_: F.normalize(a, dim=1),
    "cosine_similarity": lambda m, F, a, b, *_: F.cosine_similarity(a, b),
    "embedding": lambda m, F, a, b, v, s, i: F.embedding(i, a.T),
    "unfold": lambda m, F, *_: F.unfold(m.tensor(IMG), 3, padding=1, stride=2),
    "fold": lambda m, F, *_: F.fold(F.unfold(m.tensor(IMG), 2), (5, 5), 2),
    "dropout_eval": lambda m, F, a, *_: F.dropout(a, 0.5, training=False),
    "mse_loss": lambda m, F, a, b, *_: F.mse_loss(a, b),
    "l1_loss": lambda m, F, a, b, *_: F.l1_loss(a, b, reduction="sum"),
    "cross_entropy": lambda m, F, a, b, v, s, i: F.cross_entropy(a, i[:, 0]),
    "nll_loss": lambda m, F, a, b, v, s, i: F.nll_loss(F.log_softmax(a, 1), i[:, 1]),
    "bce_logits": lambda m, F, a, b, *_: F.binary_cross_entropy_with_logits(a, (b > 0).float()),
    "bce": lambda m, F, a, b, *_: F.binary_cross_entropy(m.sigmoid(a), (b > 0).float()),
    # ---------------------------------------------------------------- modules and devices
    "linear_module_shapes": lambda m, F, *_: [p.shape for p in m.nn.Linear(4, 2).parameters()],
    "module_to_cpu": lambda m, F, *_: type(m.nn.Linear(2, 2).to("cpu")).__name__,
    "module_cpu_double": lambda m, F, *_: m.nn.Linear(2, 2).cpu().double().weight.dtype,
    "module_to_device_obj": lambda m, F, *_: m.nn.Linear(2, 2).to(m.device("cpu")).bias.device,
    "cuda_is_available_type": lambda m, F, *_: type(m.cuda.is_available()).__name__,
    "state_dict_keys": lambda m, F, *_: list(m.nn.Sequential(m.nn.Linear(2, 2), m.nn.ReLU(),
                                                             m.nn.Linear(2, 1)).state_dict()),
    "param_data_normal": lambda m, F, *_: m.nn.Linear(2, 2).weight.data.normal_().shape,
    "param_data_is_tensor": lambda m, F, *_: type(m.nn.Linear(2, 2).weight.data).__name__,
    "generator_repeats": lambda m, F, *_: _same_draws(m),
    "manual_seed_returns": lambda m, F, *_: type(m.manual_seed(0)).__name__,
    "dtype_names": lambda m, F, *_: [m.bool, m.uint8, m.int8, m.int16, m.int32, m.int64,
                                     m.float16, m.float32, m.float64, m.float, m.double, m.long,
                                     m.half, m.int, m.short],
    "bool_and_or": lambda m, F, a, b, *_: ((a > 0) & (b > 0), (a > 0) | ~(b > 0),
                                           (a > 0) ^ (b > 0)),
    "logical_and": lambda m, F, a, b, *_: m.logical_and(a > 0, b > 0),
}


def _same_draws(m):
    first = m.randn(3, generator=m.Generator().manual_seed(1))
    return bool((first == m.randn(3, generator=m.Generator().manual_seed(1))).all())


def _set(t, index, value):
    t[index] = value
    return t


def _iadd(t, other):
    before = t
    t += other
    return t, t is before


def _data_fill(m):
    p = m.nn.Parameter(m.ones(3))
    p.data.fill_(2.0)
    p.data = m.zeros(3) + 5
    return p, p.requires_grad


def _version(t):
    t.add_(1)
    t[0] = 2.0
    return t._version


def _inplace_nonleaf(m, a):
    x = m.tensor(A.astype(np.float64), requires_grad=True)
    h = x * 2
    h.add_(1)                       # h was not saved: allowed, recorded
    h.pow_(2)
    h.sum().backward()
    h2 = x * 2
    y = (h2 * h2).sum()             # Mul saved h2
    h2.add_(1)
    try:
        y.backward()
    except RuntimeError as e:
        return x.grad, str(e).split(":")[0]
    return x.grad, None


def _no_grad(m):
    x = m.ones(2, requires_grad=True)
    with m.no_grad():
        y = x * 2
    return y.requires_grad, m.is_grad_enabled()


def _retain(m):
    x = m.ones(2, requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    return h.grad


def _plain(r):
    """A comparable form: arrays with their dtype names, tuples for sequences and shapes."""
    if isinstance(r, (torch.Tensor, gw.Tensor)):
        arr = r.detach().numpy()
        return ("tensor", str(arr.dtype), arr.shape, arr)
    if isinstance(r, torch.Size):
        return tuple(r)
    if isinstance(r, (torch.device, gw.device)):
        return ("device", str(r))
    if isinstance(r, torch.dtype):
        return ("dtype", str(r).replace("torch.", ""))
    if isinstance(r, np.dtype) or isinstance(r, type) and issubclass(r, np.generic):
        return ("dtype", np.dtype(r).name)          # gradwork's dtypes are NumPy's
    if isinstance(r, (tuple, list)):
        return tuple(_plain(x) for x in r)
    if isinstance(r, np.ndarray):
        return ("tensor", str(r.dtype), r.shape, r)
    if type(r).__name__ in ("Generator", "Parameter", "Tensor"):
        return type(r).__name__
    return r


def _assert_same(g, t, where):
    if isinstance(t, tuple) and t and t[0] == "tensor":
        assert isinstance(g, tuple) and g[0] == "tensor", f"{where}: {g!r} is not a tensor"
        assert g[1] == t[1], f"{where}: dtype {g[1]} != PyTorch's {t[1]}"
        assert g[2] == t[2], f"{where}: shape {g[2]} != PyTorch's {t[2]}"
        np.testing.assert_allclose(g[3].astype(np.float64), t[3].astype(np.float64), rtol=1e-4,
                                   atol=1e-5, err_msg=where)
    elif isinstance(t, tuple):
        assert isinstance(g, tuple) and len(g) == len(t), f"{where}: {g!r} vs PyTorch's {t!r}"
        for k, (x, y) in enumerate(zip(g, t)):
            _assert_same(x, y, f"{where}[{k}]")
    elif isinstance(t, float):
        assert g == pytest.approx(t, rel=1e-5), f"{where}: {g!r} != PyTorch's {t!r}"
    else:
        assert type(g) is type(t) and g == t, f"{where}: {g!r} != PyTorch's {t!r}"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_everyday_call_matches_pytorch(name):
    results = []
    for m, F in ((gw, gw.nn.functional), (torch, torch.nn.functional)):
        m.manual_seed(0)
        args = [m.tensor(x) for x in (A, B, V, S, IDX)]
        results.append(_plain(CALLS[name](m, F, *args)))
    _assert_same(*results, name)


def test_the_probe_is_large_enough():
    assert len(CALLS) >= 150
