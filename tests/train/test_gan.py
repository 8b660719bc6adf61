"""gradwork/train/gan.py: the alternating GAN updates on a tiny DCGAN."""
import numpy as np
import pytest

import gradwork as gw
from gradwork.models import Discriminator, Generator
from gradwork.train import train_gan
from tests.models.zoo_helpers import assert_round_trip


def test_train_gan_alternates_the_two_updates(tmp_path):
    g = Generator(nz=8, ngf=8, nc=1, image_size=16)
    d = Discriminator(nc=1, ndf=8, image_size=16)
    # "real" data: bright centred blobs
    yy, xx = np.mgrid[:16, :16]
    blob = np.exp(-((yy - 7.5) ** 2 + (xx - 7.5) ** 2) / 20.0) * 2 - 1
    real = gw.tensor(np.repeat(blob[None, None], 16, 0).astype(np.float32))
    g_before = g.main[0].weight.detach().numpy().copy()
    history = train_gan(g, d, [real[:8], real[8:]], num_steps=12)
    assert sorted(history) == ["d_fake", "d_real", "loss_d", "loss_g"]
    assert all(len(v) == 12 and np.all(np.isfinite(v)) for v in history.values())
    # the discriminator learns to tell them apart: its loss falls and D(real) > D(fake)
    assert history["loss_d"][-1] < history["loss_d"][0] - 0.1, history["loss_d"]
    assert history["d_real"][-1] > history["d_fake"][-1]
    assert not np.allclose(g.main[0].weight.detach().numpy(), g_before)       # G was updated too
    assert_round_trip(g, lambda: Generator(nz=8, ngf=8, nc=1, image_size=16), gw.randn(2, 8),
                      tmp_path)
    with pytest.raises(ValueError, match="num_steps"):
        train_gan(g, d, [real], num_steps=0)
