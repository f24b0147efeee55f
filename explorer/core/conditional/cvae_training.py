"""The cVAE's training loop (maximise the conditional ELBO), as a generator of snapshots for the panel and the CLI.

The VAE's own loop (explorer/core/vae/training.py, ``train_elbo``), with each image's label beside it.
"""

from __future__ import annotations

from collections.abc import Generator

from explorer.core.conditional.cvae import CVAE, CVAEConfig, elbo_terms
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.vae.training import ElboModel, VAESnapshot, train_elbo

CONDITIONAL_VAE: ElboModel[CVAE] = ElboModel(
    "cvae",
    lambda cfg: CVAE(cfg.latent_dim, cfg.hidden),
    elbo_terms,  # (model, x, labels, generator)
    lambda model, x, labels: model.encode(x, labels)[0],
)


def train_cvae(
    cfg: CVAEConfig, device: str | None = None, yield_every_s: float = 0.25, latents_every_s: float = 3.0
) -> Generator[VAESnapshot, None, Checkpoint]:
    """Train a cVAE on MNIST, yielding snapshots a few times a second; return the checkpoint.

    Snapshots are the VAE's: losses at most every ``yield_every_s`` seconds; the test set's
    posterior means (each digit encoded with its label) and the weights at most every
    ``latents_every_s`` seconds and at each epoch's end.
    """
    return (yield from train_elbo(cfg, CONDITIONAL_VAE, device, yield_every_s, latents_every_s))
