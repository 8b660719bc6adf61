"""Matrix products: `matmul` (batched, broadcasting, 1-D cases) and the fused `linear`."""
from ..autograd import Function
from ..errors import DTypeError, ShapeError, torch_dtype_name
from ..threads import matmul as gemm
from .broadcast import unbroadcast


def _swap(x):
    return x.swapaxes(-1, -2)


# C = AB:  dA = dC Bᵀ,  dB = Aᵀ dC  (summed over broadcast batch dims)
class MatMul(Function):
    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        a2 = a[None, :] if a.ndim == 1 else a     # (n,) → (1, n)
        b2 = b[:, None] if b.ndim == 1 else b     # (n,) → (n, 1)
        self.a, self.b = a2, b2
        out = a2 @ b2
        if a.ndim == 1:
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return out

    def backward(self, g):
        if len(self.b_shape) == 1:
            g = g[..., None]
        if len(self.a_shape) == 1:
            g = g[..., None, :]
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g @ _swap(self.b), self.a.shape).reshape(self.a_shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(_swap(self.a) @ g, self.b.shape).reshape(self.b_shape)
        return ga, gb


def matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         f"multiplied ({k_a} != {k_b})")
    try:
        return MatMul.apply(a, b)
    except ValueError as e:
        raise ValueError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                         "cannot be broadcast together") from e


# y = x Wᵀ + b:  dx = dy W,  dW = dyᵀ x,  db = Σ dy   (one node instead of three)
# (the 2-D GEMMs through threads.matmul: big ones cut over gradwork's pool, see there)
class Linear(Function):
    def forward(self, x, w, b):
        self.x, self.w = x, w
        out = gemm(x, w.T) if x.ndim == 2 else x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = gemm(g, self.w) if g.ndim == 2 else g @ self.w
        g2 = g.reshape(-1, g.shape[-1])                       # (N·…, out)
        if self.needs_input_grad[1]:
            gw = gemm(g2.T, self.x.reshape(-1, self.x.shape[-1]))   # (out, in)
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, with x (*, in), W (out, in), b (out,). An integer input into floating
    weights is refused, as PyTorch does (no silent promotion to float64)."""
    if input.dtype.kind not in "fc" and weight.dtype.kind in "fc":
        raise DTypeError(f"linear: mat1 and mat2 must have the same dtype, but got "
                         f"{torch_dtype_name(input.dtype)} and {torch_dtype_name(weight.dtype)} "
                         f"(input {input.dtype}, weight {weight.dtype}): convert the input, "
                         f"e.g. input.float()")
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"linear: input of shape {tuple(input.shape)} does not match weight of "
                         f"shape {tuple(weight.shape)} (expected input (*, {weight.shape[-1]}))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias of shape {tuple(bias.shape)} does not match weight of "
                         f"shape {tuple(weight.shape)} (expected ({weight.shape[0]},))")
    return Linear.apply(input, weight, bias)


def bmm(a, b):
    """Batched matrix product of (B, n, m) and (B, m, p) (no broadcasting, as PyTorch)."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(f"bmm: expected (B, n, m) and (B, m, p) tensors, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    return MatMul.apply(a, b)


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected 2-D tensors, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    return matmul(a, b)


# baddbmm = β·input + α·(b₁ @ b₂);  addmm likewise for matrices (composites: their gradients
# are those of the parts)
def baddbmm(input, batch1, batch2, beta=1, alpha=1):
    prod = bmm(batch1, batch2)
    return _scaled_sum(input, prod, beta, alpha)


def addmm(input, mat1, mat2, beta=1, alpha=1):
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def _scaled_sum(input, prod, beta, alpha):
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:                  # PyTorch ignores input (NaN in it does not propagate)
        return prod
    return prod + (input if beta == 1 else input * beta)


# outer(a, b)ᵢⱼ = aᵢ bⱼ
def outer(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected 1-D tensors, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    return a.reshape(-1, 1) * b.reshape(1, -1)
