"""Activations: relu, leaky_relu, elu, selu, prelu, gelu, silu, mish, hardswish, tanh,
sigmoid, softplus, softmax, log_softmax."""
import math
import warnings

from ..autograd import Function
from ..backend import array_module, kernel
from ..backend import np as _np
from ..errors import ArgumentError, ShapeError
from ..threads import over_ranges

_NDARRAY = _np.ndarray

# relu's backward is one compiled pass (gradwork.kernels) from _KERNEL_FROM elements up: it
# beats NumPy's mask-and-multiply at every size measured (LeNet-5's four ReLUs: 2.0 vs 3.1 µs
# at 64×84, 41 vs 86 µs at 64×6×28×28), and below it a tiny model never loads Numba. From
# _COMPILED_FROM elements both passes are also cut over the thread pool (≈ 5 ms on a ResNet-20
# step). NumPy's maximum against the scalar 0 takes a slow strided loop (113 µs at 64×6×28×28)
# where against an array of zeros it takes the vector one (40 µs): the forward compares with
# zeros, the same bits. The zeros are one read-only buffer per dtype, grown to the largest
# input below _COMPILED_FROM elements (≤ 4 MiB in float32) and viewed in each shape: a fresh
# np.zeros per call would cost its page faults every step.
_KERNEL_FROM, _COMPILED_FROM = 1 << 12, 1 << 20
_ZEROS = {}


def _zeros_view(shape, dtype, n):
    """A read-only array of zeros of `shape` (n elements), viewed from the shared buffer."""
    buf = _ZEROS.get(dtype)
    if buf is None or buf.size < n:
        buf = _np.zeros(n, dtype)
        buf.setflags(write=False)
        _ZEROS[dtype] = buf
    return buf[:n].reshape(shape)


# relu(x) = max(0, x);  relu'(x) = [x > 0]
# From _COMPILED_FROM elements both passes are cut into one flat range per thread
# (gradwork.threads): elementwise, so the same bits for any thread count.
class ReLU(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x):
        xp = _np if type(x) is _NDARRAY else array_module(x)
        if x.size < _COMPILED_FROM and xp is _np and x.dtype.kind == "f":
            self.out = _np.maximum(x, _zeros_view(x.shape, x.dtype, x.size))
            return self.out
        if x.size < _COMPILED_FROM or xp is not _np or not x.flags.c_contiguous:
            self.out = xp.maximum(x, 0)
            return self.out
        out = xp.empty(x.shape, _np.result_type(x.dtype, 0))
        xf, of = x.reshape(-1), out.reshape(-1)
        over_ranges(lambda i, j: xp.maximum(xf[i:j], 0, out=of[i:j]), x.size)
        self.out = out
        return out

    def backward(self, g):
        xp, out = array_module(g), self.out
        if (g.size < _KERNEL_FROM or g.dtype != out.dtype or g.dtype.kind != "f"
                or g.dtype.itemsize < 4):
            return g * (out > 0)
        gx = xp.empty(g.shape, g.dtype)
        gf, of, xf = xp.ascontiguousarray(g).reshape(-1), xp.ascontiguousarray(out).reshape(-1), \
            gx.reshape(-1)
        run = kernel("relu_backward", g)                       # one pass, no mask
        if g.size < _COMPILED_FROM:
            run(gf, of, xf)
        else:
            over_ranges(lambda i, j: run(gf[i:j], of[i:j], xf[i:j]), g.size)
        return gx


# leaky_relu(x) = x if x > 0 else αx
class LeakyReLU(Function):
    needs_inputs = False

    def forward(self, x, slope):
        self.mask, self.slope = x > 0, slope
        return array_module(x).where(self.mask, x, x * slope)

    def backward(self, g):
        return array_module(g).where(self.mask, g, g * self.slope)


# elu(x) = x if x > 0 else α(eˣ − 1);  elu'(x) = 1 or elu(x) + α
class ELU(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x, alpha):
        xp = array_module(x)
        self.mask, self.alpha = x > 0, alpha
        self.out = xp.where(self.mask, x, alpha * xp.expm1(xp.minimum(x, 0)))
        return self.out

    def backward(self, g):
        return array_module(g).where(self.mask, g, g * (self.out + self.alpha))


# selu(x) = λ·elu(x, α), λ ≈ 1.0507, α ≈ 1.6733 (Klambauer et al. 2017, "Self-Normalizing
# Neural Networks"); selu' = λ or λ(elu(x) + α)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class SELU(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x):
        xp = array_module(x)
        self.mask = x > 0
        self.out = SELU_SCALE * xp.where(self.mask, x, SELU_ALPHA * xp.expm1(xp.minimum(x, 0)))
        self.out = self.out.astype(x.dtype, copy=False)
        return self.out

    def backward(self, g):
        xp = array_module(g)
        return xp.where(self.mask, SELU_SCALE * g, g * (self.out + SELU_SCALE * SELU_ALPHA))


# prelu(x) = x if x > 0 else a·x, a learnt per channel (dim 1) or shared (He et al. 2015,
# "Delving Deep into Rectifiers"); ∂/∂x = 1 or a, ∂/∂a = Σ g·x over x ≤ 0
class PReLU(Function):
    def forward(self, x, a):
        xp = array_module(x)
        # a: (C,) or (1,) → broadcast along dim 1 of x (N, C, *)
        self.shape = (1, a.size) + (1,) * (x.ndim - 2) if x.ndim >= 2 and a.size > 1 else a.shape
        self.x, self.a = x, a.reshape(self.shape)
        return xp.where(x > 0, x, x * self.a)

    def backward(self, g):
        xp, x = array_module(g), self.x
        pos = x > 0
        gx = xp.where(pos, g, g * self.a) if self.needs_input_grad[0] else None
        ga = None
        if self.needs_input_grad[1]:
            t = xp.where(pos, 0, g * x)
            if self.a.size > 1:
                axes = tuple(i for i in range(x.ndim) if i != 1)
                ga = t.sum(axis=axes)
            else:
                ga = t.sum().reshape(self.a.shape)
        return gx, ga


def _erf(x):
    """erf to double precision, elementwise (math.erf: NumPy has no erf of its own, and an
    approximation would break the float64 comparison with PyTorch); CuPy's own on a GPU."""
    if array_module(x) is not _np:
        from cupyx.scipy.special import erf
        return erf(x)
    return _np.asarray(_ERF(x), dtype=x.dtype)


_ERF = _np.frompyfunc(math.erf, 1, 1)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


# gelu(x) = x·Φ(x) = x/2·(1 + erf(x/√2)); gelu' = Φ(x) + x·φ(x)  (Hendrycks & Gimpel 2016,
# "Gaussian Error Linear Units"); approximate="tanh": x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))
class GELU(Function):
    def forward(self, x, approximate):
        xp = array_module(x)
        self.x, self.tanh = x, approximate == "tanh"
        if self.tanh:
            self.t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            return (0.5 * x * (1 + self.t)).astype(x.dtype, copy=False)
        self.cdf = 0.5 * (1 + _erf(x * (1 / math.sqrt(2))))
        return (x * self.cdf).astype(x.dtype, copy=False)

    def backward(self, g):
        xp, x = array_module(g), self.x
        if self.tanh:
            t = self.t
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner
        else:
            d = self.cdf + x * xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return (g * d).astype(g.dtype, copy=False)


# silu(x) = x·σ(x) (Elfwing et al. 2018; "Swish", Ramachandran et al. 2017);
# silu' = σ(x)(1 + x(1 − σ(x)))
class SiLU(Function):
    def forward(self, x):
        self.x, self.s = x, sigmoid_array(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))


# mish(x) = x·tanh(softplus(x)) (Misra 2019, "Mish"); mish' = tanh(sp) + x·σ(x)(1 − tanh²(sp))
class Mish(Function):
    def forward(self, x):
        xp = array_module(x)
        self.x = x
        self.t = xp.tanh(xp.logaddexp(0, x)).astype(x.dtype, copy=False)
        return x * self.t

    def backward(self, g):
        t = self.t
        return g * (t + self.x * sigmoid_array(self.x) * (1 - t * t))


# hardswish(x) = x·relu6(x + 3)/6 (Howard et al. 2019, "Searching for MobileNetV3");
# hardswish' = 0 (x ≤ −3), (2x + 3)/6 (−3 < x < 3), 1 (x ≥ 3) — PyTorch's edges
class Hardswish(Function):
    def forward(self, x):
        xp = array_module(x)
        self.x = x
        return x * xp.clip(x + 3, 0, 6) / 6

    def backward(self, g):
        xp, x = array_module(g), self.x
        d = xp.where(x <= -3, 0, xp.where(x < 3, (2 * x + 3) / 6, 1)).astype(g.dtype, copy=False)
        return g * d


# tanh' = 1 − tanh²
class Tanh(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x):
        self.out = out = _np.tanh(x) if type(x) is _NDARRAY else array_module(x).tanh(x)
        return out

    def backward(self, g):
        out = self.out
        d = out * out
        if d.dtype != g.dtype or type(d) is not _NDARRAY:
            return g * (1 - d)
        _np.subtract(1, d, out=d)               # g (1 − y²) with one array made, not three
        _np.multiply(g, d, out=d)
        return d


def sigmoid_array(x):
    """σ(x) = 1/(1 + e^(−x)), as e^x/(1 + e^x) for x < 0: no overflow, and full relative
    precision in both tails (the tanh form rounds σ(−40) to 0)."""
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    return r * (e + (x >= 0) * (1 - e))     # r where x ≥ 0, e·r below (as fast as tanh)


# σ' = σ(1 − σ)
class Sigmoid(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x):
        self.out = sigmoid_array(x)
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)


# softplus(x) = log(1 + eˣ)/β ;  softplus' = σ(βx)
class Softplus(Function):
    def forward(self, x, beta, threshold):
        xp = array_module(x)
        bx = beta * x
        self.x, self.beta, self.linear = x, beta, bx > threshold
        return xp.where(self.linear, x, xp.logaddexp(0, bx) / beta).astype(x.dtype)

    def backward(self, g):
        return array_module(g).where(self.linear, g, g * sigmoid_array(self.beta * self.x))


def _stable_softmax(x, dim):
    xp = array_module(x)
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


# softmax(x)ᵢ = e^{xᵢ}/Σⱼe^{xⱼ};  dx = s ⊙ (dy − Σ dy ⊙ s)
class Softmax(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x, dim):
        self.dim = dim
        self.out = _stable_softmax(x, dim)
        return self.out

    def backward(self, g):
        s = self.out
        return s * (g - (g * s).sum(axis=self.dim, keepdims=True))


# log_softmax(x) = x − max − log Σ e^{x − max};  dx = dy − softmax ⊙ Σ dy
class LogSoftmax(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x, dim):
        xp = array_module(x)
        shifted = x - x.max(axis=dim, keepdims=True)
        self.dim = dim
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        return self.out

    def backward(self, g):
        xp = array_module(g)
        return g - xp.exp(self.out) * g.sum(axis=self.dim, keepdims=True)


def relu(x, inplace=False):
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    return LeakyReLU.apply(x, slope=negative_slope)


def elu(x, alpha=1.0, inplace=False):
    return ELU.apply(x, alpha=alpha)


def selu(x, inplace=False):
    return SELU.apply(x)


def prelu(x, weight):
    """PReLU with `weight` of shape (C,) (C = x.shape[1]) or (1,)."""
    if weight.ndim != 1 or (weight.shape[0] != 1 and (x.ndim < 2 or
                                                        weight.shape[0] != x.shape[1])):
        channels = x.shape[1] if x.ndim >= 2 else 1
        raise ShapeError(f"prelu: weight must have shape (1,) or ({channels},) (the input's "
                         f"channels), got {tuple(weight.shape)}")
    return PReLU.apply(x, weight)


def gelu(x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(x, approximate=approximate)


def silu(x, inplace=False):
    return SiLU.apply(x)


def mish(x, inplace=False):
    return Mish.apply(x)


def hardswish(x, inplace=False):
    return Hardswish.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def softplus(x, beta=1.0, threshold=20.0):
    return Softplus.apply(x, beta=beta, threshold=threshold)


def _softmax_dim(x, dim, op):
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1   # PyTorch's legacy implicit choice
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      f"to include dim=X as an argument (using dim={dim}).", UserWarning,
                      stacklevel=3)
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for shape {tuple(x.shape)}")
    return dim % max(x.ndim, 1)


def softmax(x, dim=None, dtype=None):
    x = x if dtype is None else x.to(dtype)
    return Softmax.apply(x, dim=_softmax_dim(x, dim, "softmax"))


def log_softmax(x, dim=None, dtype=None):
    x = x if dtype is None else x.to(dtype)
    return LogSoftmax.apply(x, dim=_softmax_dim(x, dim, "log_softmax"))
