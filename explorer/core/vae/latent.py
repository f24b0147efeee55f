"""Moving between pixels and the latent plane: decode z, encode digits, the decoded manifold, samples."""

from __future__ import annotations

import numpy as np
import torch

from explorer.core.vae.model import PIXELS, VAE
from explorer.core.vae_opening import (
    grid_quantiles as grid_quantiles,  # torch-free, so the opening picture can share it
)


@torch.inference_mode()
def decode_images(model: VAE, z: np.ndarray) -> np.ndarray:
    """(N, latent_dim) latent points -> (N, 28, 28) float32 Bernoulli means in [0, 1]."""
    device = next(model.parameters()).device
    logits = model.decode(torch.as_tensor(np.asarray(z, dtype=np.float32), device=device))
    return torch.sigmoid(logits).to("cpu", torch.float32).numpy().reshape(-1, 28, 28)


@torch.inference_mode()
def encode_images(model: VAE, images: np.ndarray, batch_size: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 or [0, 1] images -> posterior means and standard deviations, each (N, latent_dim)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32).reshape(len(images), PIXELS))
    if images.dtype == np.uint8:
        x = x / 255.0
    mus, sigmas = [], []
    for start in range(0, len(x), batch_size):
        mu, logvar = model.encode(x[start : start + batch_size])
        mus.append(mu)
        sigmas.append(torch.exp(0.5 * logvar))
    return torch.cat(mus).numpy(), torch.cat(sigmas).numpy()


def latent_grid(model: VAE, n: int) -> np.ndarray:
    """The decoded manifold: an (n*28, n*28) image, z1 growing rightwards and z2 upwards."""
    q = grid_quantiles(n)
    z1, z2 = np.meshgrid(q, q[::-1])
    digits = decode_images(model, np.stack([z1.ravel(), z2.ravel()], axis=1))  # (n*n, 28, 28)
    return digits.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)


def sample_images(model: VAE, n: int, seed: int = 0) -> np.ndarray:
    """n digits decoded from z ~ N(0, I): (n, 28, 28) float32 in [0, 1]."""
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(seed)).numpy()
    return decode_images(model, z)
