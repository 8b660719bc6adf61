import numpy as np
import pytest
import torch

import gradwork as gw
from gradwork.models import Discriminator, Generator, get_model

from .zoo_helpers import (
    assert_matches_torch,
    count_params,
    needs_layers,
    torch_random,
)

pytestmark = needs_layers("Conv2d", "ConvTranspose2d", "BatchNorm2d")


class TorchGenerator(torch.nn.Module):
    """The generator of PyTorch's DCGAN example (examples/dcgan/main.py)."""

    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        tnn = torch.nn

        def up(i, o, stride=2, pad=1):
            return [tnn.ConvTranspose2d(i, o, 4, stride, pad, bias=False), tnn.BatchNorm2d(o),
                    tnn.ReLU(True)]
        self.main = tnn.Sequential(*up(nz, ngf * 8, 1, 0), *up(ngf * 8, ngf * 4),
                                   *up(ngf * 4, ngf * 2), *up(ngf * 2, ngf),
                                   tnn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), tnn.Tanh())

    def forward(self, z):
        return self.main(z)


class TorchDiscriminator(torch.nn.Module):
    """The discriminator of PyTorch's DCGAN example."""

    def __init__(self, nc=3, ndf=64):
        super().__init__()
        tnn = torch.nn

        def down(i, o):
            return [tnn.Conv2d(i, o, 4, 2, 1, bias=False), tnn.BatchNorm2d(o),
                    tnn.LeakyReLU(0.2, inplace=True)]
        self.main = tnn.Sequential(tnn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                                   tnn.LeakyReLU(0.2, inplace=True), *down(ndf, ndf * 2),
                                   *down(ndf * 2, ndf * 4), *down(ndf * 4, ndf * 8),
                                   tnn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), tnn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1)


def test_parameter_counts_of_the_pytorch_example(fast_init):
    assert count_params(get_model("dcgan_generator")) == 3_576_704
    assert count_params(get_model("dcgan_discriminator")) == 2_765_568


def test_generator_matches_pytorch_example(tmp_path):
    model = Generator(nz=16, ngf=8)
    z = np.random.default_rng(0).standard_normal((2, 16, 1, 1)).astype(np.float32)
    assert_matches_torch(model, torch_random(lambda: TorchGenerator(16, 8)), z, tmp_path)
    with gw.no_grad():
        images = model(gw.tensor(z[:, :, 0, 0])).numpy()           # (N, nz) works too
    assert images.shape == (2, 3, 64, 64) and np.abs(images).max() <= 1


def test_discriminator_matches_pytorch_example(tmp_path):
    model = Discriminator(ndf=8)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 64, 64)).astype(np.float32)
    assert_matches_torch(model, torch_random(lambda: TorchDiscriminator(3, 8)), x, tmp_path)


def test_initialisation_follows_the_paper():
    g = Generator(nz=100, ngf=16)
    w = g.main[0].weight.detach().numpy()
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
    assert abs(g.main[1].weight.detach().numpy().mean() - 1) < 0.01
    assert not g.main[1].bias.detach().numpy().any()


def test_bad_input_and_arguments():
    with pytest.raises(ValueError, match=r"Generator: expected z of shape \(N, 100\)"):
        Generator()(gw.randn(2, 50))
    with pytest.raises(ValueError, match=r"Discriminator: expected a 64×64 input.*got 32×32"):
        Discriminator()(gw.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match="image_size must be a power of two"):
        Generator(image_size=48)
