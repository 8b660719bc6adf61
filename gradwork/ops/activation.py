"""Activations: relu, leaky_relu, elu, tanh, sigmoid, softplus, softmax, log_softmax."""
import warnings

from ..autograd import Function
from ..backend import array_module, kernel


# relu's backward is one compiled pass (gradwork.kernels) from this many elements up: there it
# saves a ResNet-20 step ≈ 5 ms; below, NumPy's mask-and-multiply costs no more, and a small
# model never loads Numba.
_COMPILED_FROM = 1 << 20


# relu(x) = max(0, x);  relu'(x) = [x > 0]
class ReLU(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x):
        self.out = array_module(x).maximum(x, 0)
        return self.out

    def backward(self, g):
        xp, out = array_module(g), self.out
        if (g.size < _COMPILED_FROM or g.dtype != out.dtype or g.dtype.kind != "f"
                or g.dtype.itemsize < 4):
            return g * (out > 0)
        gx = xp.empty(g.shape, g.dtype)
        kernel("relu_backward", g)(xp.ascontiguousarray(g).reshape(-1),   # one pass, no mask
                                   xp.ascontiguousarray(out).reshape(-1), gx.reshape(-1))
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


# tanh' = 1 − tanh²
class Tanh(Function):
    needs_inputs, needs_output = False, True

    def forward(self, x):
        self.out = array_module(x).tanh(x)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


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
