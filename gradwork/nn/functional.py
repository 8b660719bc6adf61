"""`gradwork.nn.functional` (import as F): the stateless forms of the layers and losses."""
from ..ops.activation import (elu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus,
                              tanh)
from ..ops.ctc import ctc_loss
from ..ops.conv import (causal_conv1d, conv1d, conv2d, conv_transpose1d,
                        conv_transpose2d)
from ..ops.dropout import dropout, dropout2d
from ..ops.embedding import embedding
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                        huber_loss, l1_loss, mse_loss, multi_margin_loss, nll_loss)
from ..ops.matmul import linear
from ..ops.norm import batch_norm, group_norm, layer_norm, local_response_norm
from ..ops.pad import pad
from ..ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                        adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
                        max_unpool1d, max_unpool2d)


def one_hot(tensor, num_classes=-1):
    """Integer class indices (*) → (*, num_classes) int64 one-hot (no gradient)."""
    from ..autograd import Tensor  # noqa: PLC0415
    from ..backend import array_module  # noqa: PLC0415
    y = tensor._data
    n = int(y.max()) + 1 if num_classes < 0 else num_classes
    if y.size and (y.min() < 0 or y.max() >= n):
        raise IndexError(f"one_hot: class values must be in [0, {n}), got [{y.min()}, {y.max()}]")
    return Tensor((y[..., None] == array_module(y).arange(n)).astype("int64"))
