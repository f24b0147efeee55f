"""A conditional VAE (Sohn, Lee & Yan 2015): the VAE told which digit it draws. Config, nets, ELBO.

Encoder q(z|x, y) = N(mu(x, y), diag sigma^2(x, y)) and Bernoulli decoder p(x|z, y), with the
label y as a one-hot vector beside the pixels and beside z; the prior stays N(0, I). The
conditional ELBO

    L(x, y) = E_q[log p(x|z, y)] - KL(q(z|x, y) || N(0, I))

has the same two terms as the VAE's, so the VAE's closed-form KL, Bernoulli likelihood,
reparameterisation and binarisation serve here unchanged. Since the decoder already knows
the digit, the 2-D z needs to hold only the rest: the style (slant, width, thickness).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from explorer.core.conditional.labels import DIGITS, one_hot
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.vae.model import PIXELS, VAEConfig, bernoulli_log_likelihood, elbo_means, kl_gaussian, reparameterize


@dataclass(frozen=True)
class CVAEConfig(VAEConfig):
    """The VAE's settings (same fields, limits and defaults: the defaults train the shipped model),
    as a type of its own so that a checkpoint and the CLI tell the two models apart."""


class CVAE(nn.Module):
    """MLP encoder of [x, one-hot y] to (mu, log sigma^2), MLP decoder of [z, one-hot y] to Bernoulli logits."""

    def __init__(self, latent_dim: int = 2, hidden: int = 512) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Linear(PIXELS + DIGITS, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim + DIGITS, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, PIXELS),
        )

    def encode(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 784) pixels and (B,) labels -> posterior mean and log-variance of q(z|x, y), each (B, latent_dim)."""
        h = self.encoder(torch.cat([x, one_hot(labels).to(x.dtype)], dim=1))  # (B, hidden)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) latents and (B,) labels -> (B, 784) Bernoulli logits of p(x|z, y)."""
        return self.decoder(torch.cat([z, one_hot(labels).to(z.dtype)], dim=1))


def elbo_terms(
    model: CVAE, x: torch.Tensor, labels: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The conditional ELBO's two terms per sample: log p(x|z, y) (one z ~ q(z|x, y)) and KL(q(z|x, y) || N(0, I))."""
    mu, logvar = model.encode(x, labels)
    z = reparameterize(mu, logvar, generator)
    return bernoulli_log_likelihood(model.decode(z, labels), x), kl_gaussian(mu, logvar)


@torch.no_grad()
def elbo_metrics(
    model: CVAE, x: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Mean reconstruction NLL, KL and -ELBO (nats per image) over binarised images ``x`` with their labels."""
    return elbo_means(lambda xb, yb, g: elbo_terms(model, xb, yb, g), x, labels, batch_size, seed)


def cvae_from_checkpoint(ckpt: Checkpoint) -> tuple[CVAE, CVAEConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(CVAEConfig, ckpt.config)
    model = load_weights(CVAE(cfg.latent_dim, cfg.hidden), ckpt)
    return model.eval(), cfg
