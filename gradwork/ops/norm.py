"""Normalisation: batch norm, layer norm, group norm, local response norm.

Each is one fused op whose backward is the closed-form gradient, not a chain of primitives.
Batch norm reduces a (N, C, *) input over every axis but C; the input is viewed as
(N, C, M) with M the product of the spatial sizes. Its passes are compiled kernels
(gradwork.kernels, reached through backend.kernel: two passes each way instead of NumPy's
nine); the other norms' per-channel sums are `einsum`s, which NumPy does in one pass without a
temporary.
"""
import math

from ..autograd import Function
from ..backend import array_module, kernel
from ..errors import DTypeError, check_positive_int, torch_dtype_name
from ..threads import over_ranges


def _as3(x):
    """(N, C, *spatial) → (N, C, M) view (M explicit: N may be 0)."""
    return x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]))


def _channel_sum(a3):
    """Σ over n and m of an (N, C, M) array → (C,)."""
    return array_module(a3).einsum("ncm->c", a3)


def _channel_dot(a3, b3):
    """Σ over n and m of a·b for two (N, C, M) arrays → (C,)."""
    return array_module(a3).einsum("ncm,ncm->c", a3, b3)


def _per_channel(v):
    return v[:, None]  # (C,) → (C, 1), broadcasts against (N, C, M)


# From this many elements a pass is cut over the threads (gradwork.threads): the sums by
# channels, the maps by samples, so each value is computed by one thread in the serial order:
# the same bits as one thread, whatever the thread count.
_SPLIT_FROM = 1 << 20


def _sums_by_channel(name, arrays3, per_channel):
    """kernel `name`(*arrays3, *per_channel) over ranges of the channels: arrays3 are (N, C, M),
    per_channel (C,) (the float64 sums it writes, and the means it reads). Each range is
    given as bounds on the whole arrays: a strided view of them would compile a kernel that
    does not vectorise (measured 2–5× slower per element)."""
    run = kernel(name, arrays3[0])
    if arrays3[0].size < _SPLIT_FROM:
        return run(*arrays3, *per_channel)
    over_ranges(lambda c0, c1: run(*arrays3, *per_channel, c0, c1), arrays3[0].shape[1])


def _map_by_sample(name, arrays3, per_channel, out):
    """kernel `name`(*arrays3, *per_channel, out) over ranges of the samples (contiguous
    slabs of the (N, C, M) arrays)."""
    run = kernel(name, arrays3[0])
    if out.size < _SPLIT_FROM:
        return run(*arrays3, *per_channel, out)
    over_ranges(lambda n0, n1: run(*[a[n0:n1] for a in arrays3], *per_channel, out[n0:n1]),
                out.shape[0])


# Training: x̂ = (x − μ_B)/√(σ²_B + ε), y = γx̂ + β over the mini-batch
# (Ioffe & Szegedy 2015, Alg. 1; decks 000, 002); backward by their closed form:
# dx = (γ/σ)/N · (N·dy − Σdy − x̂·Σ(dy·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy.
# Each direction is two passes of compiled kernels (gradwork.kernels): the sums, then the map.
class BatchNormTrain(Function):
    def forward(self, x, weight, bias, running_mean, running_var, momentum, eps):
        xp = array_module(x)
        x3 = _kernel_input(x)                               # (N, C, M)
        N, C, M = x3.shape
        n = N * M
        mean, var = xp.empty(C), xp.empty(C)                # float64
        _sums_by_channel("channel_moments", (x3,), (mean, var))
        _blend_(running_mean, mean, momentum)
        _blend_(running_var, var * (n / (n - 1)), momentum)  # unbiased, as PyTorch keeps it
        invstd = 1 / xp.sqrt(var + eps)
        scale = invstd if weight is None else weight * invstd
        y = _normalize(x3, mean, scale, bias)
        self.x3, self.mean, self.invstd, self.weight, self.shape = x3, mean, invstd, weight, x.shape
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, g):
        xp, x3 = array_module(g), self.x3
        N, C, M = x3.shape
        n = N * M
        g3 = _kernel_input(g, x3.dtype)
        sum_g, sum_gxc = xp.empty(C), xp.empty(C)
        _sums_by_channel("channel_grad_sums", (g3, x3), (self.mean, sum_g, sum_gxc))
        sum_gx = sum_gxc * self.invstd                      # Σ dy·x̂
        dx = None
        if self.needs_input_grad[0]:
            k = self.invstd if self.weight is None else self.weight * self.invstd   # γ/σ
            kx, k0 = -k * self.invstd * sum_gx / n, -k * sum_g / n
            mean_hi, mean_lo = _split(self.mean, x3.dtype)
            dx, dt = xp.empty_like(x3), x3.dtype
            _map_by_sample("batch_norm_input_grad", (g3, x3),
                           (mean_hi, k.astype(dt), kx.astype(dt), (k0 - mean_lo * kx).astype(dt)),
                           dx)
            dx = dx.reshape(self.shape).astype(g.dtype, copy=False)
        dw = sum_gx.astype(g.dtype) if self.needs_input_grad[1] else None
        db = sum_g.astype(g.dtype) if self.needs_input_grad[2] else None
        return dx, dw, db


def _kernel_input(a, dtype=None):
    """a (N, C, *) as the C-contiguous (N, C, M) float32/float64 array the kernels take
    (float16 and the like are widened to float32); `dtype` forces one."""
    if dtype is None:
        dtype = a.dtype if a.dtype.itemsize >= 4 else "float32"
    a3 = _as3(a)
    return array_module(a).ascontiguousarray(a3, dtype=dtype)


def _split(mean, dtype):
    """The float64 mean as hi (in dtype) + lo (float64): x − hi is exact for x near the mean
    (Sterbenz), so the kernels compute (x − hi)·a + (b − lo·a) and a float32 input whose mean
    dwarfs its spread keeps its accuracy."""
    hi = mean.astype(dtype)
    return hi, mean - hi


def _normalize(x3, mean, scale, bias):
    """y = (x − μ)·scale + β per channel in one compiled pass, with the float64 mean μ split
    as in _split (β absent: 0)."""
    mean_hi, mean_lo = _split(mean, x3.dtype)
    shift = -mean_lo * scale if bias is None else bias - mean_lo * scale
    y = array_module(x3).empty_like(x3)
    _map_by_sample("channel_affine", (x3,),
                   (mean_hi, scale.astype(x3.dtype), shift.astype(x3.dtype)), y)
    return y


def _blend_(running, stat, momentum):
    """running ← (1 − momentum)·running + momentum·stat, in place (no-op for None)."""
    if running is not None:
        running *= 1 - momentum
        running += momentum * stat.astype(running.dtype, copy=False)


# Inference: y = γ(x − E[x])/√(Var[x] + ε) + β with the running estimates (Ioffe & Szegedy
# 2015, Alg. 2), an affine map per channel: dx = dy·γ/√(Var + ε).
class BatchNormEval(Function):
    def forward(self, x, weight, bias, running_mean, running_var, eps):
        xp = array_module(x)
        x3 = _kernel_input(x)
        invstd = 1 / xp.sqrt(running_var.astype(xp.float64) + eps)
        scale = invstd if weight is None else weight * invstd
        self.mean = running_mean.astype(xp.float64)
        y = _normalize(x3, self.mean, scale, bias)
        self.scale, self.invstd = scale.astype(x3.dtype), invstd
        # Only dγ reads x (needs_input_grad is all False when the op is not recorded).
        self.x3 = x3 if self.needs_input_grad[1] else None
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def backward(self, g):
        xp, need = array_module(g), self.needs_input_grad
        dx = (_as3(g) * _per_channel(self.scale.astype(g.dtype))).reshape(g.shape) if need[0] \
            else None
        dw = db = None
        if need[1]:                 # Σ dy·x̂ = Σ dy·(x − E[x]) / √(Var + ε), and Σ dy with it
            C = g.shape[1]
            sum_g, sum_gxc = xp.empty(C), xp.empty(C)
            _sums_by_channel("channel_grad_sums", (_kernel_input(g, self.x3.dtype), self.x3),
                             (self.mean, sum_g, sum_gxc))
            dw = (sum_gxc * self.invstd).astype(g.dtype)
            db = sum_g.astype(g.dtype) if need[2] else None
        elif need[2]:
            db = _channel_sum(_as3(g))
        return dx, dw, db


def _check_channels(name, t, c):
    if t is not None and tuple(t.shape) != (c,):
        raise ValueError(f"batch_norm: {name} should have shape ({c},) to match the input's "
                         f"{c} channels, got {tuple(t.shape)}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of an (N, C, *) input per channel C.

    Training: normalise with the batch mean and biased variance, and update the running
    statistics given, in place: r ← (1 − momentum)·r + momentum·batch_stat (the running
    variance takes the unbiased batch variance). Eval: normalise with the running statistics.
    weight γ and bias β: (C,); running_mean, running_var: (C,) or None (training only).
    PyTorch's momentum is 1 − the decay of Ioffe & Szegedy (2015).
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must have shape (N, C, *), got {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise DTypeError(f"batch_norm: \"batch_norm\" not implemented for "
                         f"'{torch_dtype_name(input.dtype)}': input must be a floating-point "
                         f"tensor, got {input.dtype}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channels(name, t, c)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        return BatchNormEval.apply(input, weight, bias, running_mean=running_mean._data,
                                   running_var=running_var._data, eps=eps)
    if input._data.size <= c:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {tuple(input.shape)}")
    for t in (running_mean, running_var):
        if t is not None:
            t._bump_version()
    return BatchNormTrain.apply(input, weight, bias, momentum=momentum, eps=eps,
                                running_mean=None if running_mean is None else running_mean._data,
                                running_var=None if running_var is None else running_var._data)


# Layer norm and group norm normalise each sample over trailing axes:
# x̂ = (x − μ)/√(σ² + ε); dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) (Ba et al. 2016;
# Wu & He 2018), with dx̂ = dy·γ.
def _normalize_rows(x2, eps):
    """(R, K) → x̂, 1/σ per row."""
    xp = array_module(x2)
    mean = x2.mean(axis=1, keepdims=True)
    xc = x2 - mean
    invstd = 1 / xp.sqrt(xp.einsum("rk,rk->r", xc, xc)[:, None] / x2.shape[1] + eps)
    xc *= invstd
    return xc, invstd


def _normalize_rows_backward(gxhat, xhat, invstd):
    xp = array_module(gxhat)
    k = gxhat.shape[1]
    mean_g = gxhat.mean(axis=1, keepdims=True)
    mean_gx = xp.einsum("rk,rk->r", gxhat, xhat)[:, None] / k
    return (gxhat - mean_g - xhat * mean_gx) * invstd


class LayerNorm(Function):
    def forward(self, x, weight, bias, k, eps):
        xhat, self.invstd = _normalize_rows(x.reshape(-1, k), eps)   # (R, K)
        self.xhat, self.weight = xhat, weight
        y = xhat.reshape(x.shape)
        if weight is None and bias is None:
            y = y.copy()   # the output must not alias what backward reads
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return y

    def backward(self, g):
        k = self.xhat.shape[1]
        g2 = g.reshape(-1, k)
        wshape = (k,) if self.weight is None else self.weight.shape
        dx = dw = db = None
        if self.needs_input_grad[0]:
            gxhat = g2 if self.weight is None else g2 * self.weight.reshape(-1)
            dx = _normalize_rows_backward(gxhat, self.xhat, self.invstd).reshape(g.shape)
        if self.needs_input_grad[1]:
            dw = array_module(g).einsum("rk,rk->k", g2, self.xhat).reshape(wshape)
        if self.needs_input_grad[2]:
            db = g2.sum(axis=0).reshape(wshape)
        return dx, dw, db


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims `normalized_shape` of each sample (Ba et al. 2016);
    weight and bias have shape `normalized_shape`."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    d = len(normalized_shape)
    if tuple(input.shape[input.ndim - d:]) != normalized_shape or input.ndim < d:
        raise ValueError(f"layer_norm: input's trailing dims must be normalized_shape "
                         f"{list(normalized_shape)}, got input of shape {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ValueError(f"layer_norm: {name} must have shape {normalized_shape}, got "
                             f"{tuple(t.shape)}")
    k = 1
    for s in normalized_shape:
        k *= s
    return LayerNorm.apply(input, weight, bias, k=k, eps=eps)


class GroupNorm(Function):
    def forward(self, x, weight, bias, groups, eps):
        n, c = x.shape[:2]
        xhat, self.invstd = _normalize_rows(x.reshape(n * groups, -1), eps)   # (N·G, C/G·M)
        self.xhat, self.weight, self.shape = xhat, weight, x.shape
        y3 = xhat.reshape(n, c, -1)                                          # (N, C, M)
        if weight is None and bias is None:
            y3 = y3.copy()   # the output must not alias what backward reads
        if weight is not None:
            y3 = y3 * _per_channel(weight)
        if bias is not None:
            y3 = y3 + _per_channel(bias)
        return y3.reshape(x.shape)

    def backward(self, g):
        g3 = _as3(g)
        dx = dw = db = None
        if self.needs_input_grad[0]:
            gxhat = g3 if self.weight is None else g3 * _per_channel(self.weight)
            gxhat = gxhat.reshape(self.xhat.shape)
            dx = _normalize_rows_backward(gxhat, self.xhat, self.invstd).reshape(self.shape)
        if self.needs_input_grad[1]:
            dw = _channel_dot(g3, self.xhat.reshape(g3.shape))
        if self.needs_input_grad[2]:
            db = _channel_sum(g3)
        return dx, dw, db


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample of an (N, C, *) input over groups of C/num_groups channels and
    the spatial dims (Wu & He 2018); weight and bias: (C,)."""
    if input.ndim < 2:
        raise ValueError(f"group_norm: input must have shape (N, C, *), got {tuple(input.shape)}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: num_channels ({c}) must be divisible by num_groups "
                         f"({num_groups})")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"group_norm: {name} must have shape ({c},), got {tuple(t.shape)}")
    return GroupNorm.apply(input, weight, bias, groups=num_groups, eps=eps)


def _window_sum(a, before, after, size):
    """s[:, c] = Σ a[:, c − before … c + after] over the channel axis (zeros outside)."""
    xp = array_module(a)
    c = a.shape[1]
    pad = [(0, 0)] * a.ndim
    pad[1] = (before, after)
    ap = xp.pad(a, pad)
    s = ap[:, 0:c].copy()
    for j in range(1, size):
        s += ap[:, j:j + c]
    return s


# b_c = a_c / (k + α/n · Σ_{c' ∈ window(c)} a_c'²)^β  (Krizhevsky et al. 2012, §3.3; deck 002).
# PyTorch (followed here) divides α by the window size n; the paper uses α alone.
# With d = k + α/n·Σa², ∂L/∂a_c = g_c·d_c^(−β) − (2αβ/n)·a_c·Σ_{c': c ∈ window(c')} g_c'·b_c'/d_c'.
class LocalResponseNorm(Function):
    def forward(self, x, size, alpha, beta, k):
        self.before, self.after = size // 2, (size - 1) // 2
        d = _window_sum(x * x, self.before, self.after, size)
        d *= alpha / size
        d += k
        dpow = d ** -beta
        self.x, self.d, self.dpow = x, d, dpow
        self.size, self.alpha, self.beta = size, alpha, beta
        return x * dpow

    def backward(self, g):
        t = g * self.x * self.dpow / self.d                     # g_c'·b_c'/d_c'
        back = _window_sum(t, self.after, self.before, self.size)   # the adjoint (mirrored) window
        return g * self.dpow - (2 * self.alpha * self.beta / self.size) * self.x * back


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation across channels of an (N, C, *) input (AlexNet's NORM
    layers): b = a / (k + α/n · Σ a²)^β over the n = `size` channels around each channel."""
    if input.ndim < 3:
        raise ValueError("local_response_norm: expected 3D or higher dimensionality input (got "
                         f"{input.ndim} dimensions)")
    check_positive_int("local_response_norm", "size", size)
    return LocalResponseNorm.apply(input, size=size, alpha=alpha, beta=beta, k=k)


__all__ = ["batch_norm", "group_norm", "layer_norm", "local_response_norm"]
