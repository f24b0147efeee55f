"""The cVAE's style plane: decode a z as any digit, all ten at once, a style walk, a test digit restyled."""

from __future__ import annotations

import numpy as np
import torch

from explorer.core.conditional.cvae import CVAE
from explorer.core.conditional.labels import DIGITS, class_labels
from explorer.core.vae.model import PIXELS


def _labels(labels: np.ndarray | torch.Tensor, n: int, device: torch.device) -> torch.Tensor:
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long).reshape(-1)
    if len(y) != n or (len(y) and not (int(y.min()) >= 0 and int(y.max()) < DIGITS)):
        raise ValueError(f"Need {n} labels from 0 to {DIGITS - 1}, not {y.tolist()[:12]}.")
    return y.to(device)


@torch.inference_mode()
def decode_digits(model: CVAE, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N, latent_dim) latents and (N,) labels -> (N, 28, 28) float32 Bernoulli means in [0, 1]."""
    device = next(model.parameters()).device
    z_t = torch.as_tensor(np.asarray(z, dtype=np.float32), device=device).reshape(-1, model.latent_dim)
    logits = model.decode(z_t, _labels(labels, len(z_t), device))  # (N, 784)
    return torch.sigmoid(logits).to("cpu", torch.float32).numpy().reshape(-1, 28, 28)


def all_digits(model: CVAE, z: np.ndarray) -> np.ndarray:
    """One style z (latent_dim,) drawn as every digit: (10, 28, 28), row d is digit d."""
    z = np.asarray(z, dtype=np.float32).reshape(1, model.latent_dim)
    return decode_digits(model, np.repeat(z, DIGITS, axis=0), np.arange(DIGITS))


def style_grid(model: CVAE, zs: np.ndarray) -> np.ndarray:
    """Rows = digits, columns = the styles ``zs`` (K, latent_dim): (10, K, 28, 28)."""
    zs = np.asarray(zs, dtype=np.float32).reshape(-1, model.latent_dim)
    k = len(zs)
    digits = decode_digits(model, np.tile(zs, (DIGITS, 1)), np.repeat(np.arange(DIGITS), k))  # (10 K, 28, 28)
    return digits.reshape(DIGITS, k, 28, 28)


@torch.inference_mode()
def encode_images(
    model: CVAE, images: np.ndarray, labels: np.ndarray, batch_size: int = 5000
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 or [0, 1] images with their (N,) labels -> means and standard deviations of
    q(z|x, y), each (N, latent_dim)."""
    device = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(images, dtype=np.float32).reshape(len(images), PIXELS))
    if np.asarray(images).dtype == np.uint8:
        x = x / 255.0
    y = _labels(labels, len(x), torch.device("cpu"))
    mus, sigmas = [], []
    for start in range(0, len(x), batch_size):
        mu, logvar = model.encode(x[start : start + batch_size].to(device), y[start : start + batch_size].to(device))
        mus.append(mu.cpu())
        sigmas.append(torch.exp(0.5 * logvar).cpu())
    return torch.cat(mus).numpy(), torch.cat(sigmas).numpy()


def restyle(model: CVAE, image: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    """A digit's style, redrawn as every digit: encode (28, 28) ``image`` with its ``label`` (posterior
    mean), decode that z with each label. Returns (z (latent_dim,), digits (10, 28, 28))."""
    mu, _ = encode_images(model, np.asarray(image)[None], np.array([label]))
    return mu[0], all_digits(model, mu[0])


def sample_cvae(model: CVAE, n: int, seed: int = 0, digit: int | None = None) -> np.ndarray:
    """n digits decoded from z ~ N(0, I) with label ``digit`` (None: 0, 1, ..., 9 in turn): (n, 28, 28) in [0, 1]."""
    labels = class_labels(n, digit)
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(seed)).numpy()
    return decode_digits(model, z, labels.numpy())
