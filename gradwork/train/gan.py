"""GAN training: the two alternating updates of Goodfellow et al. (2014), Algorithm 1, with the
non-saturating generator loss, for DCGAN (Radford, Metz & Chintala 2016; models/dcgan.py):
D ascends log D(x) + log(1 − D(G(z))), then G ascends log D(G(z)); Adam(lr 2e-4, β₁ 0.5)
as the paper.
"""
from .. import backend
from ..nn import functional as F
from ..ops import full, randn
from ..optim import Adam


def _real_batches(data):
    """Cycle forever through `data` (batches, or (batch, labels) pairs from a DataLoader)."""
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch[0] if isinstance(batch, (tuple, list)) else batch
        if empty:
            raise ValueError("train_gan: data yielded no batches")


def train_gan(generator, discriminator, data, num_steps, lr=2e-4, betas=(0.5, 0.999),
              optimizer_g=None, optimizer_d=None):
    """Train a GAN for `num_steps` alternating updates; returns the history as lists
    {"loss_d", "loss_g", "d_real", "d_fake"} (d_* are mean discriminator outputs).

    data: an iterable of real image batches (N, C, H, W), reused cyclically."""
    if not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"train_gan: num_steps must be a positive integer, got {num_steps!r}")
    opt_g = optimizer_g or Adam(generator.parameters(), lr=lr, betas=betas)
    opt_d = optimizer_d or Adam(discriminator.parameters(), lr=lr, betas=betas)
    backend.tune_allocator()        # process-wide, so here and not at import (backend.py)
    generator.train()
    discriminator.train()
    history = {"loss_d": [], "loss_g": [], "d_real": [], "d_fake": []}
    batches = _real_batches(data)
    for _ in range(num_steps):
        real = next(batches)
        n = real.shape[0]
        ones, zeros = full((n,), 1.0, dtype=real.dtype), full((n,), 0.0, dtype=real.dtype)
        fake = generator(randn(n, generator.nz, dtype=real.dtype))
        # D step: maximise log D(x) + log(1 − D(G(z)))  (G's output detached)
        opt_d.zero_grad()
        d_real = discriminator(real)
        d_fake = discriminator(fake.detach())
        loss_d = F.binary_cross_entropy(d_real, ones) + F.binary_cross_entropy(d_fake, zeros)
        loss_d.backward()
        opt_d.step()
        # G step: maximise log D(G(z)) (the non-saturating form)
        opt_g.zero_grad()
        loss_g = F.binary_cross_entropy(discriminator(fake), ones)
        loss_g.backward()
        opt_g.step()
        history["loss_d"].append(loss_d.item())
        history["loss_g"].append(loss_g.item())
        history["d_real"].append(d_real.mean().item())
        history["d_fake"].append(d_fake.mean().item())
    return history
