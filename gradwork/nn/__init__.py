"""Modules, parameters, layers, losses, initialisation and utilities."""
from . import functional, init, utils
from .activation import (
                         ELU,
                         GELU,
                         SELU,
                         Hardswish,
                         LeakyReLU,
                         LogSoftmax,
                         Mish,
                         PReLU,
                         ReLU,
                         Sigmoid,
                         SiLU,
                         Softmax,
                         Softplus,
                         Tanh,
)
from .attention import AdditiveAttention, DotProductAttention, GeneralAttention
from .binary import (
                         BinaryConv2d,
                         BinaryLinear,
                         XNORBlock,
                         XNORConv2d,
                         XNORLinear,
                         clip_latent_weights_,
)
from .binary_packed import PackedBinaryConv2d, PackedBinaryLinear
from .containers import ModuleDict, ModuleList, Sequential
from .conv import CausalConv1d, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv_lstm import ConvLSTM, ConvLSTMCell
from .ctc import CTCLoss
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .instancenorm import InstanceNorm1d, InstanceNorm2d
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import (
                         BCELoss,
                         BCEWithLogitsLoss,
                         CrossEntropyLoss,
                         HuberLoss,
                         L1Loss,
                         MSELoss,
                         MultiMarginLoss,
                         NLLLoss,
)
from .module import Module
from .multihead_attention import MultiheadAttention
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, LocalResponseNorm
from .parameter import Parameter
from .penalty import elastic_net_penalty, l1_penalty, l2_penalty
from .pool import (
                         AdaptiveAvgPool1d,
                         AdaptiveAvgPool2d,
                         AdaptiveMaxPool1d,
                         AdaptiveMaxPool2d,
                         AvgPool1d,
                         AvgPool2d,
                         MaxPool1d,
                         MaxPool2d,
                         MaxUnpool1d,
                         MaxUnpool2d,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .sync_batchnorm import SyncBatchNorm
from .tcn import TCN, Chomp1d, TemporalBlock
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .upsample import PixelShuffle, PixelUnshuffle, Upsample
from .vanishing_regulariser import pascanu_omega
