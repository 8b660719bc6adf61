"""DCGAN (Radford, Metz & Chintala 2016, "Unsupervised representation learning with deep
convolutional generative adversarial networks", §3 and Fig. 1), deck 001's "Generation using
CNN based GANs".

Generator: z (nz) → 4×4 by a transposed conv, then stride-2 transposed convs (4×4 kernels)
doubling the size and halving the channels, BN + ReLU between, tanh at the output.
Discriminator: the mirror, stride-2 convs with BN (none on the first) and LeakyReLU(0.2), a
4×4 conv to one score and a sigmoid. Both are initialised from N(0, 0.02) (BN weights from
N(1, 0.02)), as the paper. Layout and keys are those of PyTorch's DCGAN example (`main`).

Training loop: `gradwork.train.train_gan` (train/gan.py).
"""
import math

from .. import nn
from ..autograd import Tensor
from ..nn import init
from .inputs import check_image_batch
from .registry import register


def _stages(image_size, model):
    if not isinstance(image_size, int) or image_size < 8 or image_size & (image_size - 1):
        raise ValueError(f"{model}: image_size must be a power of two ≥ 8, got {image_size!r}")
    return int(math.log2(image_size)) - 2        # stride-2 layers between 4×4 and image_size


def _dcgan_init(model):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            init.normal_(m.weight, 1.0, 0.02)
            init.constant_(m.bias, 0)


class Generator(nn.Module):
    """z: (N, nz) or (N, nz, 1, 1) → images (N, nc, image_size, image_size) in [−1, 1]."""

    def __init__(self, nz=100, ngf=64, nc=3, image_size=64):
        super().__init__()
        n = _stages(image_size, "Generator")
        self.nz, self.nc, self.image_size = nz, nc, image_size
        c = ngf * 2 ** (n - 1)
        layers = [nn.ConvTranspose2d(nz, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                       nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        _dcgan_init(self)

    def forward(self, z):
        if not isinstance(z, Tensor) or z.ndim not in (2, 4) or z.shape[1] != self.nz or \
                (z.ndim == 4 and z.shape[2:] != (1, 1)):
            got = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"Generator: expected z of shape (N, {self.nz}) or "
                             f"(N, {self.nz}, 1, 1), got {got}")
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))


class Discriminator(nn.Module):
    """images (N, nc, image_size, image_size) → probability of "real", shape (N,)."""

    def __init__(self, nc=3, ndf=64, image_size=64):
        super().__init__()
        n = _stages(image_size, "Discriminator")
        self.nc, self.image_size = nc, image_size
        layers, c = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)], ndf
        for _ in range(n - 1):
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c * 2),
                       nn.LeakyReLU(0.2, inplace=True)]
            c *= 2
        layers += [nn.Conv2d(c, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)
        _dcgan_init(self)

    def forward(self, x):
        check_image_batch("Discriminator", x, self.nc, exact_size=self.image_size)
        return self.main(x).reshape(-1)        # (N, 1, 1, 1) → (N,)


@register("dcgan_generator")
def dcgan_generator(**kwargs):
    """The DCGAN generator (64×64 images by default)."""
    return Generator(**kwargs)


@register("dcgan_discriminator")
def dcgan_discriminator(**kwargs):
    """The DCGAN discriminator (64×64 images by default)."""
    return Discriminator(**kwargs)
