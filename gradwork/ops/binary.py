"""Binarisation for binary-weight networks and XNOR-Nets (Rastegari et al. 2016, "XNOR-Net:
ImageNet classification using binary convolutional neural networks"; Courbariaux et al. 2015,
"BinaryConnect"; Hubara et al. 2016, "Binarized neural networks"), deck 004.

    sign_ste(x)            = sign(x) ∈ {−1, +1}, sign(0) = +1;  ∂ ≈ 1_{|x| ≤ 1}   (STE)
    binarize_weight(W)     = α_k · sign(W_k),  α_k = ‖W_k‖₁ / n              (eq. 4–6)
    input_scale(x, k)      = K = (mean_c |x|) ⊛ k,  k = 1/(kh·kw)             (§3.2)
    binary_conv2d(x, W)    = x ⊛ (α ⊙ sign W)                                 (BWN)
    xnor_conv2d(x, W)      = (sign x ⊛ sign W) ⊙ α  [⊙ K]                     (XNOR-Net, eq. 11)

sign(0) = +1 everywhere (weights and inputs), as the packed kernel's bit 0 means +1; a zero
never appears as a third value. The convolutions pad sign(x) with zeros (a padded position
contributes 0, larq's `pad_values=0`), exactly as `kernels/xnor.py` computes them.
"""
from ..autograd import Function, Tensor
from ..backend import array_module
from ..errors import check_choice
from .conv import conv2d
from .matmul import linear
from .reduce import mean
from .unary import abs as abs_


def _sign(xp, a):
    """sign with sign(0) = +1, in a's dtype."""
    return xp.where(a >= 0, 1, -1).astype(a.dtype)


# y = sign(x), sign(0) = +1;  dx = dy · 1_{|x| ≤ 1}   (Hubara et al. 2016, eq. 4: the STE)
class SignSTE(Function):
    def forward(self, x):
        xp = array_module(x)
        self.mask = xp.abs(x) <= 1
        return _sign(xp, x)

    def backward(self, g):
        return g * self.mask


def sign_ste(input):
    """sign(x) ∈ {−1, +1} with sign(0) = +1, and the straight-through estimator as gradient.

    The true derivative of sign is 0 almost everywhere; the STE (Hubara et al. 2016, eq. 4)
    passes the gradient where |x| ≤ 1 (the derivative of hardtanh) and cancels it outside.
    The boundary is inclusive, as in Hubara et al.'s 1_{|r| ≤ 1} and larq's `ste_sign`:
    latent weights clipped to [−1, 1] sit exactly at ±1 and must still receive a gradient,
    else they would freeze there. (PyTorch's hardtanh gradient is exclusive at ±1.)
    """
    return SignSTE.apply(input)


# W̃ = α·sign(W), α_k = (1/n) Σ |W_k|   (XNOR-Net eq. 4–6)
# constant α:  dW = α·dW̃·1_{|W| ≤ 1}
# chain rule:  dW_j = α·dW̃_j·1_{|W_j| ≤ 1} + sign(W_j)·(1/n)·Σ_i dW̃_i·sign(W_i)   (§3.1)
class BinarizeWeight(Function):
    needs_inputs = False

    def forward(self, w, chain):
        xp = array_module(w)
        self.axes = tuple(range(1, w.ndim))
        self.s = _sign(xp, w)
        self.alpha = xp.abs(w).mean(axis=self.axes, keepdims=True)      # (K, 1, ...)
        self.mask, self.chain = xp.abs(w) <= 1, chain
        return self.alpha * self.s

    def backward(self, g):
        gw = self.alpha * g * self.mask
        if self.chain:
            n = g[0].size
            gw += self.s * ((g * self.s).sum(axis=self.axes, keepdims=True) / n)
        return gw


def binarize_weight(weight, alpha_grad="constant"):
    """W̃ = α_k·sign(W_k) per output channel k (dim 0), α_k = mean |W_k| over the other dims
    (in, kh, kw): the L2-optimal binary approximation of W_k (XNOR-Net eq. 4–6).

    alpha_grad: "constant" treats α as a constant (dW = α·dW̃·1_{|W|≤1}, the common choice);
    "chain" adds the path through α = mean|W| (XNOR-Net §3.1: ∂W̃_i/∂W_j has a 1/n term,
    dW_j += sign(W_j)·(1/n)·Σ_i dW̃_i·sign(W_i)). Both use the STE for sign(W).
    """
    check_choice("binarize_weight", "alpha_grad", alpha_grad, ("constant", "chain"))
    return BinarizeWeight.apply(weight, chain=alpha_grad == "chain")


def input_scale(input, kernel_size, stride=1, padding=0, dilation=1):
    """XNOR-Net's scaling map K = A ⊛ k (§3.2, Fig. 2): A = mean_c |I| (N, 1, H, W), k the
    kh×kw box filter 1/(kh·kw), with the convolution's stride, padding and dilation, so that
    K[n, 0, u, v] is the mean |I| over the window of output (u, v) (zeros counted in the
    padding). Differentiable (abs, mean and a convolution: the true gradient)."""
    xp = array_module(input._data)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    a = mean(abs_(input), dim=1, keepdim=True)                          # (N, 1, H, W)
    k = xp.full((1, 1, kh, kw), 1.0 / (kh * kw), input.dtype)
    return conv2d(a, Tensor(k), None, stride, padding, dilation)


def binary_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1,
                  groups=1, alpha_grad="constant"):
    """Binary-weight convolution (BWN, XNOR-Net §3.1): y = x ⊛ (α ⊙ sign W) + b, real x.
    The input gradient is exact (no STE on inputs); W gets binarize_weight's."""
    return conv2d(input, binarize_weight(weight, alpha_grad), bias, stride, padding, dilation,
                  groups)


def xnor_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1,
                groups=1, scale_input=False, alpha_grad="constant"):
    """XNOR convolution (XNOR-Net §3.2, eq. 11): y = (sign x ⊛ sign W) ⊙ α [⊙ K] + b.

    Both operands binary, sign(0) = +1, STE gradients for both; zero padding of sign(x) (a
    padded position contributes 0). scale_input=True multiplies by the paper's scaling map K
    (`input_scale`); common reimplementations (and larq's models) drop K and rely on the
    BatchNorm before the binary activation to set the scale, hence the default False."""
    xb = sign_ste(input)
    y = conv2d(xb, binarize_weight(weight, alpha_grad), None, stride, padding, dilation, groups)
    if scale_input:
        y = y * input_scale(input, weight.shape[2:], stride, padding, dilation)
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y


def binary_linear(input, weight, bias=None, alpha_grad="constant"):
    """Binary-weight dense layer: y = x (α ⊙ sign W)ᵀ + b, α per output feature."""
    return linear(input, binarize_weight(weight, alpha_grad), bias)


def xnor_linear(input, weight, bias=None, scale_input=False,
                alpha_grad="constant"):
    """XNOR dense layer: y = (sign x · sign Wᵀ) ⊙ α [⊙ β] + b; with scale_input, β = mean|x|
    over the features of each sample (the dense case of K)."""
    y = linear(sign_ste(input), binarize_weight(weight, alpha_grad))
    if scale_input:
        y = y * mean(abs_(input), dim=-1, keepdim=True)
    if bias is not None:
        y = y + bias
    return y
