"""The VAE family: config, nets and ELBO (model.py), the training loop (training.py), and the
latent plane's decode / encode / manifold (latent.py), and the IWAE bound that measures the ELBO's gap (iwae.py)."""

from explorer.core.vae.iwae import IWAE_K, iwae_bound, iwae_bounds, log_importance_weights
from explorer.core.vae.latent import decode_images, encode_images, grid_quantiles, latent_grid, sample_images
from explorer.core.vae.model import (
    PIXELS,
    VAE,
    VAEConfig,
    bernoulli_log_likelihood,
    binarized,
    elbo_terms,
    evaluate,
    kl_gaussian,
    reparameterize,
    vae_from_checkpoint,
)
from explorer.core.vae.training import VAESnapshot, train_vae

__all__ = [
    "IWAE_K",
    "PIXELS",
    "VAE",
    "VAEConfig",
    "VAESnapshot",
    "bernoulli_log_likelihood",
    "binarized",
    "decode_images",
    "elbo_terms",
    "encode_images",
    "evaluate",
    "grid_quantiles",
    "iwae_bound",
    "iwae_bounds",
    "kl_gaussian",
    "latent_grid",
    "log_importance_weights",
    "reparameterize",
    "sample_images",
    "train_vae",
    "vae_from_checkpoint",
]
