"""Dense layers: `Linear`, `Identity`, `Flatten`, `Unflatten`."""
from .. import backend
from ..errors import check_positive_int
from ..ops import flatten, linear, reshape
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b.  x: (*, in_features) → (*, out_features); W: (out, in).

    Default initialisation is PyTorch's: W, b ~ U(±1/√in_features)."""

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        check_positive_int("Linear", "in_features", in_features)
        check_positive_int("Linear", "out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
        self.weight = Parameter(backend.np.empty((out_features, in_features), dtype))
        self.bias = Parameter(backend.np.empty((out_features,), dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: everything but the batch)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        d = self.dim % x.ndim
        return reshape(x, x.shape[:d] + self.unflattened_size + x.shape[d + 1:])
