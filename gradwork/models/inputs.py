"""Input checks shared by the zoo: a wrong layout or an image too small for a network's
downsampling fails at the top of `forward` with the model's name, not deep inside a conv."""
from ..autograd import Tensor


def check_image_batch(model, x, in_channels, min_size=1, exact_size=None):
    """Require x: Tensor (N, in_channels, H, W) with H, W ≥ min_size (or == exact_size)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{model}: expected a Tensor of shape (N, {in_channels}, H, W), got "
                        f"{type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != in_channels:
        raise ValueError(f"{model}: expected input of shape (N, {in_channels}, H, W), got "
                         f"{tuple(x.shape)}")
    h, w = x.shape[2], x.shape[3]
    if exact_size is not None and (h, w) != (exact_size, exact_size):
        raise ValueError(f"{model}: expected a {exact_size}×{exact_size} input (its fully "
                         f"connected layers fix the size), got {h}×{w}")
    if h < min_size or w < min_size:
        raise ValueError(f"{model}: input must be at least {min_size}×{min_size} for its "
                         f"downsampling, got {h}×{w}")
    return x
