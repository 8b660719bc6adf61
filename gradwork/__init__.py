"""gradwork: a deep learning framework on NumPy, built from the equations.

PyTorch's names and semantics: `gradwork.Tensor`, `gradwork.nn`, `gradwork.optim`, ...
"""
from . import backend
from .autograd import Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import bool_, float16, float32, float64, get_rng_state, int32, int64, set_rng_state
from .device import device
from .ops import (
                  abs,
                  add,
                  addmm,
                  amax,
                  amin,
                  arange,
                  argmax,
                  argmin,
                  argsort,
                  as_tensor,
                  baddbmm,
                  bernoulli,
                  bitwise_and,
                  bitwise_not,
                  bitwise_or,
                  bitwise_xor,
                  bmm,
                  broadcast_to,
                  cat,
                  chunk,
                  clamp,
                  clamp_max,
                  clamp_min,
                  clip,
                  concat,
                  cos,
                  cumprod,
                  cumsum,
                  div,
                  einsum,
                  empty,
                  eq,
                  exp,
                  expand,
                  eye,
                  flatten,
                  flip,
                  from_numpy,
                  full,
                  full_like,
                  gather,
                  ge,
                  gt,
                  index_select,
                  isfinite,
                  isinf,
                  isnan,
                  le,
                  lerp,
                  linspace,
                  log,
                  log_softmax,
                  logical_and,
                  logical_not,
                  logical_or,
                  logical_xor,
                  logsumexp,
                  lt,
                  masked_fill,
                  matmul,
                  max,
                  maximum,
                  mean,
                  min,
                  minimum,
                  mm,
                  mul,
                  nan_to_num,
                  ne,
                  neg,
                  norm,
                  normal,
                  ones,
                  ones_like,
                  outer,
                  permute,
                  pow,
                  rand,
                  rand_like,
                  randint,
                  randn,
                  randn_like,
                  randperm,
                  relu,
                  repeat_interleave,
                  reshape,
                  roll,
                  round,
                  scatter,
                  scatter_add,
                  sigmoid,
                  sign,
                  sin,
                  softmax,
                  sort,
                  split,
                  sqrt,
                  squeeze,
                  stack,
                  std,
                  sub,
                  sum,
                  tanh,
                  tensor,
                  topk,
                  transpose,
                  tril,
                  triu,
                  unbind,
                  unsqueeze,
                  var,
                  where,
                  zeros,
                  zeros_like,
)
from .ops.shape import clone
from .random import Generator, default_generator, initial_seed, manual_seed
from .serialization import load, save
from .threads import get_num_threads, set_num_threads

# PyTorch's dtype names (NumPy's scalar types: `x.dtype == gradwork.float32` holds)
bool = bool_
uint8, int8, int16 = backend.np.uint8, backend.np.int8, backend.np.int16
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__version__ = "0.1.0"

# The subpackages come after the core above, which they build on (gradwork.onnx is the exporter;
# the onnx package itself loads on first use).
from . import (  # noqa: E402 - after the core that the subpackages build on
    cuda,
    data,
    linalg,
    models,
    nn,
    onnx,
    optim,
)
