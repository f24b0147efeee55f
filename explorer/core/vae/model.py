"""A variational auto-encoder with a 2-D latent space (Kingma & Welling, 2014): config, nets, ELBO.

Gaussian encoder q(z|x) = N(mu(x), diag sigma^2(x)), standard normal prior,
Bernoulli decoder p(x|z) over the 784 pixels. Training maximises the ELBO

    L(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))

with the reparameterisation z = mu + sigma * eps and the closed-form KL of
Appendix B. Pixels are binarised by sampling (x ~ Bernoulli(grey level)) so the
decoder's likelihood is a true probability and -ELBO is in nats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.limits import SEED_MAX, TRAIN_IMAGES, bounded, validate

PIXELS = 28 * 28


@dataclass(frozen=True)
class VAEConfig:
    """Architecture and training settings; the defaults train the shipped model."""

    latent_dim: int = bounded(2, 1, 16)
    hidden: int = bounded(512, 8, 4096)
    epochs: int = bounded(60, 1, 1000)
    batch_size: int = bounded(128, 1, 4096)
    lr: float = bounded(1e-3, 0.0, 10.0, low_open=True)
    beta: float = bounded(1.0, 0.0, 100.0)
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)


class VAE(nn.Module):
    """MLP encoder to (mu, log sigma^2) and MLP decoder to Bernoulli logits."""

    def __init__(self, latent_dim: int = 2, hidden: int = 512) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(PIXELS, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, PIXELS)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 784) pixels -> posterior mean and log-variance, each (B, latent_dim)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> (B, 784) Bernoulli logits."""
        return self.decoder(z)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): a sample that gradients flow through (eq. 10)."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_gaussian(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) per sample, closed form (Appendix B):
    -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) = sum_i x_i log p_i + (1 - x_i) log(1 - p_i), per sample, in nats."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def elbo_terms(
    model: VAE, x: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ELBO's two terms per sample: reconstruction log p(x|z) (one z sample) and KL."""
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, generator)
    return bernoulli_log_likelihood(model.decode(z), x), kl_gaussian(mu, logvar)


def binarized(images: np.ndarray, seed: int) -> torch.Tensor:
    """(N, 28, 28) grey levels -> (N, 784) float 0/1 pixels sampled with a fixed seed."""
    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(images.reshape(len(images), PIXELS).astype(np.float32) / 255.0)
    return torch.bernoulli(x, generator=g)


L = TypeVar("L", torch.Tensor, None)  # the images' labels (a conditional model), or None (a plain one)


@torch.no_grad()
def elbo_means(
    terms: Callable[[torch.Tensor, L, torch.Generator], tuple[torch.Tensor, torch.Tensor]],
    x: torch.Tensor,
    labels: L,
    batch_size: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """Mean reconstruction NLL, KL and -ELBO (nats per image) over binarised images ``x`` (with their
    ``labels``, for a conditional model), ``terms(x, labels, generator)`` giving the ELBO's two terms."""
    g = torch.Generator(device=x.device).manual_seed(seed)
    recon = kl = 0.0
    for start in range(0, len(x), batch_size):
        batch_labels = None if labels is None else labels[start : start + batch_size]
        log_px, kl_b = terms(x[start : start + batch_size], batch_labels, g)
        recon -= log_px.sum().item()
        kl += kl_b.sum().item()
    n = len(x)
    return {"recon": recon / n, "kl": kl / n, "neg_elbo": (recon + kl) / n}


def evaluate(model: VAE, x: torch.Tensor, batch_size: int = 2000, seed: int = 0) -> dict[str, float]:
    """Mean reconstruction NLL, KL and -ELBO (nats per image) over binarised images ``x``."""
    return elbo_means(lambda xb, _, g: elbo_terms(model, xb, g), x, None, batch_size, seed)


def vae_from_checkpoint(ckpt: Checkpoint) -> tuple[VAE, VAEConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(VAEConfig, ckpt.config)
    model = load_weights(VAE(cfg.latent_dim, cfg.hidden), ckpt)
    return model.eval(), cfg
