"""`gradwork.nn.functional` (import as F): the stateless forms of the layers and losses."""
from .. import backend
from ..ops.activation import (
    elu,
    gelu,
    hardswish,
    leaky_relu,
    log_softmax,
    mish,
    prelu,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from ..ops.binary import (
    binarize_weight,
    binary_conv2d,
    binary_linear,
    input_scale,
    sign_ste,
    xnor_conv2d,
    xnor_linear,
)
from ..ops.conv import causal_conv1d, conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.ctc import ctc_loss
from ..ops.dropout import dropout, dropout2d
from ..ops.embedding import embedding
from ..ops.fold import fold, unfold
from ..ops.interpolate import interpolate
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
)
from ..ops.matmul import linear
from ..ops.norm import batch_norm, group_norm, layer_norm, local_response_norm
from ..ops.pad import pad
from ..ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from ..ops.reduce import vector_norm


def one_hot(tensor, num_classes=-1):
    """Integer class indices (*) → (*, num_classes) int64 one-hot (no gradient)."""
    from ..autograd import Tensor
    from ..backend import array_module
    y = tensor._data
    n = int(y.max()) + 1 if num_classes < 0 else num_classes
    if y.size and (y.min() < 0 or y.max() >= n):
        raise IndexError(f"one_hot: class values must be in [0, {n}), got [{y.min()}, {y.max()}]")
    return Tensor((y[..., None] == array_module(y).arange(n)).astype("int64"))


# normalize(x) = x / max(‖x‖ₚ, ε) along dim (PyTorch's definition; a composite)
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    return input / vector_norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)


# cos(x₁, x₂) = Σ (x₁/max(‖x₁‖, ε)) (x₂/max(‖x₂‖, ε)) along dim, the norms clamped outside the
# graph, as ATen's cosine_similarity does
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    shape = backend.np.broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = vector_norm(x1, 2, dim, keepdim=True)
    n2 = vector_norm(x2, 2, dim, keepdim=True)
    n1 = n1 + (n1.detach().clamp_min(eps) - n1.detach())
    n2 = n2 + (n2.detach().clamp_min(eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return vector_norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
