"""What the VAE tab paints before PyTorch is imported: the shipped VAE's decoder at the marker's first place
and over the manifold grid, computed in NumPy from the checkpoint's own weights.

Importing torch takes seconds on a busy CPU, and a learner's first digits should not wait for it. This
module imports NumPy and safetensors' NumPy reader only; it sits outside ``explorer.core.vae`` because that
package imports torch. The pictures are the model's own output: a test checks that they equal the torch
decoder's (``decode_images``, ``latent_grid``) for the same z.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
from safetensors import SafetensorError, safe_open

from explorer.core.runtime.paths import CHECKPOINTS

SHIPPED = CHECKPOINTS / "vae.safetensors"  # the file the VAE panel loads (its family's default checkpoint)
GRID_N = 15  # the manifold's n x n on opening (the panel's spin box starts there)
DECODER = ("decoder.0", "decoder.2", "decoder.4")  # the three Linear layers of VAE.decoder, ReLU between


@dataclass(frozen=True)
class VAEOpening:
    """The decoded digit at ``z`` (28, 28) and the manifold over an n x n grid (n*28, n*28), both Bernoulli
    means in [0, 1], and what the checkpoint says it is."""

    z: tuple[float, float]
    decoded: np.ndarray
    manifold: np.ndarray
    epochs: int


def read_decoder(path: Path) -> tuple[list[tuple[np.ndarray, np.ndarray]], int] | None:
    """The decoder's (weight, bias) per layer and the epochs trained, read with NumPy; None where the file
    is not a 2-D VAE checkpoint whose decoder has the shapes its config says (the panel's own loader then
    says what is wrong, once torch is in)."""
    try:
        with safe_open(str(path), framework="numpy") as file:
            meta = file.metadata() or {}
            config = json.loads(meta.get("config", "{}"))
            if meta.get("format") != "gen-explorer-checkpoint" or meta.get("kind") != "vae":
                return None
            hidden, latent = int(config.get("hidden", 512)), int(config.get("latent_dim", 2))
            wanted = [(hidden, latent), (hidden, hidden), (28 * 28, hidden)]
            layers = []
            for name, shape in zip(DECODER, wanted, strict=True):
                for part, part_shape in (("weight", shape), ("bias", shape[:1])):
                    stored = file.get_slice(f"{name}.{part}")
                    if stored.get_dtype() != "F32" or tuple(stored.get_shape()) != part_shape:
                        return None
                layers.append((file.get_tensor(f"{name}.weight"), file.get_tensor(f"{name}.bias")))
            return (layers, int(config.get("epochs", 0))) if latent == 2 else None
    except (OSError, ValueError, TypeError, AttributeError, SafetensorError):  # unreadable, or not such a file
        return None


def decode(layers: list[tuple[np.ndarray, np.ndarray]], z: np.ndarray) -> np.ndarray:
    """(N, 2) latent points -> (N, 28, 28) Bernoulli means: the decoder MLP, then the sigmoid of its logits."""
    h = np.asarray(z, dtype=np.float32)
    for i, (weight, bias) in enumerate(layers):
        h = h @ weight.T + bias  # (N, out), as torch's Linear
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    means = 0.5 * (1.0 + np.tanh(0.5 * h))  # sigmoid, without overflow for large |logits|
    return means.astype(np.float32).reshape(-1, 28, 28)


def grid_quantiles(n: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """n latent coordinates at evenly spaced quantiles of N(0, 1), as the manifold view places them."""
    ppf = NormalDist().inv_cdf
    return np.array([ppf(p) for p in np.linspace(low, high, n)], dtype=np.float32)


def manifold(layers: list[tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """The decoded manifold as one (n*28, n*28) image, z1 growing rightwards and z2 upwards."""
    q = grid_quantiles(n)
    z1, z2 = np.meshgrid(q, q[::-1])
    digits = decode(layers, np.stack([z1.ravel(), z2.ravel()], axis=1))  # (n*n, 28, 28)
    return digits.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)


def vae_opening(path: Path = SHIPPED, z: tuple[float, float] = (0.0, 0.0), n: int = GRID_N) -> VAEOpening | None:
    """The shipped VAE's opening pictures, or None where its file cannot give them."""
    read = read_decoder(path)
    if read is None:
        return None
    layers, epochs = read
    return VAEOpening(z, decode(layers, np.array([z]))[0], manifold(layers, n), epochs)
