"""Convolutional LSTM (Shi et al. 2015; deck 004, "ConvLSTM").

The LSTM of deck 004 with every matrix product replaced by a convolution (*) over feature
maps, and Hadamard (∘) peepholes from the cell state (Shi et al. 2015, eq. 3):

    i_t = σ(W_xi * X_t + W_hi * H_{t−1} + W_ci ∘ C_{t−1} + b_i)
    f_t = σ(W_xf * X_t + W_hf * H_{t−1} + W_cf ∘ C_{t−1} + b_f)
    C_t = f_t ∘ C_{t−1} + i_t ∘ tanh(W_xc * X_t + W_hc * H_{t−1} + b_c)
    o_t = σ(W_xo * X_t + W_ho * H_{t−1} + W_co ∘ C_t + b_o)
    H_t = o_t ∘ tanh(C_t)

All eight convolutions are one Conv2d `conv` over the channel concatenation [X_t, H_{t−1}]
with "same" padding (odd kernels) and 4·hidden output channels in the gate order (i, f, o, c),
as in the widely used ndrplz/ConvLSTM_pytorch (whose weights therefore load with
peephole=False). The peephole weights `weight_ci`, `weight_cf`, `weight_co` are per position,
(hidden, H, W), so with peephole=True the cell needs the map size: pass spatial_size=(H, W).
They start at zero (the cell starts as a plain ConvLSTM).
"""
from .. import backend
from ..errors import check_positive_int
from ..ops import cat, sigmoid, split, stack, tanh, unbind, zeros
from .containers import ModuleList
from .conv import Conv2d
from .module import Module
from .parameter import Parameter


def _pair(name, value):
    k = (value, value) if isinstance(value, int) else tuple(value)
    if len(k) != 2 or not all(isinstance(v, int) and v > 0 and v % 2 == 1 for v in k):
        raise ValueError(f"ConvLSTM: {name} must be an odd positive int or a pair of them (for "
                         f"'same' padding), got {value!r}")
    return k


class ConvLSTMCell(Module):
    """One ConvLSTM step: input (N, input_dim, H, W), state (h, c) each (N, hidden_dim, H, W)
    or None (zeros) → (h', c'). See the module docstring for the equations."""

    def __init__(self, input_dim, hidden_dim, kernel_size, bias=True, peephole=True,
                 spatial_size=None):
        super().__init__()
        check_positive_int("ConvLSTMCell", "input_dim", input_dim)
        check_positive_int("ConvLSTMCell", "hidden_dim", hidden_dim)
        self.input_dim, self.hidden_dim = input_dim, hidden_dim
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.peephole = bool(peephole)
        self.conv = Conv2d(input_dim + hidden_dim, 4 * hidden_dim, self.kernel_size,
                           padding=(self.kernel_size[0] // 2, self.kernel_size[1] // 2), bias=bias)
        self.spatial_size = None
        if self.peephole:
            if spatial_size is None:
                raise ValueError("ConvLSTMCell: peephole=True needs spatial_size=(H, W) for the "
                                 "Hadamard peephole weights W_c* of shape (hidden_dim, H, W); pass "
                                 "it, or peephole=False")
            self.spatial_size = tuple(spatial_size)
            shape = (hidden_dim,) + self.spatial_size
            dtype = self.conv.weight.dtype
            self.weight_ci = Parameter(backend.np.zeros(shape, dtype))
            self.weight_cf = Parameter(backend.np.zeros(shape, dtype))
            self.weight_co = Parameter(backend.np.zeros(shape, dtype))

    def forward(self, input, state=None):
        N, C, H, W = self._check(input, state)
        if state is None:
            h = c = zeros(N, self.hidden_dim, H, W, dtype=input.dtype, device=input.device)
        else:
            h, c = state
        a_i, a_f, a_o, a_c = split(self.conv(cat([input, h], 1)), self.hidden_dim, 1)
        if self.peephole:
            a_i = a_i + self.weight_ci * c
            a_f = a_f + self.weight_cf * c
        c_next = sigmoid(a_f) * c + sigmoid(a_i) * tanh(a_c)
        if self.peephole:
            a_o = a_o + self.weight_co * c_next
        h_next = sigmoid(a_o) * tanh(c_next)
        return h_next, c_next

    def _check(self, input, state):
        if input.ndim != 4 or input.shape[1] != self.input_dim:
            raise ValueError(f"ConvLSTMCell: input must have shape (N, {self.input_dim}, H, W), "
                             f"got {tuple(input.shape)}")
        N, C, H, W = input.shape
        if self.peephole and (H, W) != self.spatial_size:
            raise ValueError(f"ConvLSTMCell: input maps are {(H, W)} but the peephole weights "
                             f"were made for spatial_size={self.spatial_size}")
        expected = (N, self.hidden_dim, H, W)
        if state is not None:
            if len(state) != 2 or any(tuple(s.shape) != expected for s in state):
                raise ValueError(f"ConvLSTMCell: state must be (h, c), each of shape {expected}, "
                                 f"got {[tuple(s.shape) for s in state]}")
        return N, C, H, W

    def extra_repr(self):
        return (f"input_dim={self.input_dim}, hidden_dim={self.hidden_dim}, "
                f"kernel_size={self.kernel_size}, peephole={self.peephole}")


class ConvLSTM(Module):
    """Stacked ConvLSTM over a sequence of feature maps.

    input: (T, N, C, H, W), or (N, T, C, H, W) with batch_first; hidden_dim and kernel_size may
    be one value or one per layer; hidden_state: a list of (h, c) per layer, or None (zeros).
    Returns (outputs, states): outputs is a list of each layer's hidden states over time,
    (T, N, hidden, H, W) in the input's layout (ndrplz's returns (N, T, …) always), and states
    a list of each layer's last (h, c); with return_all_layers=False both lists hold only the
    last layer's entry.
    """

    def __init__(self, input_dim, hidden_dim, kernel_size, num_layers, batch_first=False,
                 bias=True, return_all_layers=False, peephole=True, spatial_size=None):
        super().__init__()
        check_positive_int("ConvLSTM", "num_layers", num_layers)
        hidden_dims = self._per_layer("hidden_dim", hidden_dim, num_layers)
        kernels = self._per_layer("kernel_size", kernel_size, num_layers)
        self.input_dim, self.hidden_dim, self.kernel_size = input_dim, hidden_dims, kernels
        self.num_layers, self.batch_first = num_layers, batch_first
        self.return_all_layers = return_all_layers
        self.cell_list = ModuleList(
            ConvLSTMCell(input_dim if i == 0 else hidden_dims[i - 1], hidden_dims[i], kernels[i],
                         bias=bias, peephole=peephole, spatial_size=spatial_size)
            for i in range(num_layers))

    @staticmethod
    def _per_layer(name, value, num_layers):
        if isinstance(value, list):
            if len(value) != num_layers:
                raise ValueError(f"ConvLSTM: {name} lists {len(value)} layers but num_layers is "
                                 f"{num_layers}")
            return value
        return [value] * num_layers

    def forward(self, input, hidden_state=None):
        if input.ndim != 5:
            layout = "(N, T, C, H, W)" if self.batch_first else "(T, N, C, H, W)"
            raise ValueError(f"ConvLSTM: input must have shape {layout}, got {tuple(input.shape)}")
        if hidden_state is not None and len(hidden_state) != self.num_layers:
            raise ValueError(f"ConvLSTM: hidden_state must hold one (h, c) per layer "
                             f"({self.num_layers}), got {len(hidden_state)}")
        time_dim = 1 if self.batch_first else 0
        steps = unbind(input, time_dim)                      # T × (N, C, H, W)
        outputs, states = [], []
        for i, cell in enumerate(self.cell_list):
            state = None if hidden_state is None else hidden_state[i]
            hs = []
            for x in steps:
                state = cell(x, state)
                hs.append(state[0])
            steps = hs
            outputs.append(stack(hs, time_dim))              # (T, N, hidden, H, W) or (N, T, …)
            states.append(state)
        if not self.return_all_layers:
            return outputs[-1:], states[-1:]
        return outputs, states

    def extra_repr(self):
        return (f"input_dim={self.input_dim}, hidden_dim={self.hidden_dim}, "
                f"num_layers={self.num_layers}, batch_first={self.batch_first}")
