"""Activation modules, each a thin wrapper over its functional op."""
from .. import backend, ops
from ..errors import check_choice
from ..ops import activation
from .linear import check_positive_int
from .module import Module
from .parameter import Parameter


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return ops.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return ops.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return ops.elu(x, self.alpha)


class Tanh(Module):
    def forward(self, x):
        return ops.tanh(x)


class Sigmoid(Module):
    def forward(self, x):
        return ops.sigmoid(x)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return ops.softplus(x, self.beta, self.threshold)


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.softmax(x, self.dim)


class LogSoftmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ops.log_softmax(x, self.dim)


class SELU(Module):
    """selu(x) = λ·elu(x, α) with λ ≈ 1.0507, α ≈ 1.6733 (Klambauer et al. 2017)."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return activation.selu(x)


class PReLU(Module):
    """prelu(x) = max(0, x) + a·min(0, x), `a` learnt: one value (num_parameters=1) or one per
    channel (dim 1 of the input). Initialised to `init` (He et al. 2015)."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        check_positive_int("PReLU", "num_parameters", num_parameters)
        self.num_parameters, self.init = num_parameters, init
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        self.weight = Parameter(backend.np.full(num_parameters, init, dtype))

    def reset_parameters(self):
        self.weight._data[...] = self.init

    def forward(self, x):
        return activation.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GELU(Module):
    """gelu(x) = x·Φ(x) (Hendrycks & Gimpel 2016); approximate="tanh" for the tanh form."""

    def __init__(self, approximate="none"):
        super().__init__()
        check_choice("GELU", "approximate", approximate, ("none", "tanh"))
        self.approximate = approximate

    def forward(self, x):
        return activation.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """silu(x) = x·σ(x) (Elfwing et al. 2018), also called Swish."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return activation.silu(x)


class Mish(Module):
    """mish(x) = x·tanh(softplus(x)) (Misra 2019)."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return activation.mish(x)


class Hardswish(Module):
    """hardswish(x) = x·relu6(x + 3)/6 (Howard et al. 2019, MobileNetV3)."""

    def __init__(self, inplace=False):
        super().__init__()

    def forward(self, x):
        return activation.hardswish(x)
