"""Compiled CPU kernels (Numba) for the passes NumPy cannot fuse.

A NumPy expression makes one pass over memory per operator and a temporary per intermediate:
batch norm's backward, `k·dy + c·(x − μ) + b` per channel, is five passes and two temporaries
in NumPy and one pass here. Each kernel below replaced a NumPy expression where the benchmark
showed the difference (benchmarks/RESULTS.md gives the figures); everything else stays NumPy.

The kernels take NumPy arrays (float32 or float64, C-contiguous), write into the outputs they
are given and release the GIL. Numba is imported at the first call of a kernel, which is
compiled then for its dtypes and cached on disk (`cache=True`): a fresh install pays ≈ 1.5 s
once, a later process ≈ 0.3 s to load. Each kernel is serial (Numba's parallel layer is not
safe to enter from two Python threads at once); the ops cut large arrays over gradwork's
thread pool instead, each thread calling the kernel on its own range (ops/norm.py,
ops/activation.py).
"""
from .batch_norm import batch_norm_input_grad, channel_affine, channel_grad_sums, channel_moments
from .blas import gemm as blas_gemm
from .gru import gru_backward_loop, gru_forward_loop
from .lstm import lstm_gates_backward, lstm_gates_forward
from .lstm_loop import lstm_backward_loop, lstm_forward_loop
from .relu import relu_backward

__all__ = ["batch_norm_input_grad", "blas_gemm", "channel_affine", "channel_grad_sums",
           "channel_moments", "gru_backward_loop", "gru_forward_loop", "lstm_backward_loop",
           "lstm_forward_loop", "lstm_gates_backward", "lstm_gates_forward", "relu_backward"]
