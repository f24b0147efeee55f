"""The VAE as the command line, the panels and the evaluation see it: train, rebuild, sample."""

from explorer.core.families import ModelFamily
from explorer.core.vae.latent import sample_images
from explorer.core.vae.model import VAEConfig, vae_from_checkpoint
from explorer.core.vae.training import train_vae

FAMILY = ModelFamily(
    name="vae",
    title="VAE",
    config=VAEConfig,
    train=train_vae,
    from_checkpoint=vae_from_checkpoint,
    sample_images=sample_images,
)
