"""A Gaussian mixture with isotropic components: exact density, score and mode shares.

Adding Gaussian noise of scale σ to a sample of an isotropic mixture gives the same mixture
with every variance grown by σ², so the score of the noised density p_σ = p * N(0, σ²I),
which denoising score matching learns (Vincent 2011; Song & Ermon 2019), is exact too:

    ∇ₓ log p_σ(x) = Σ_k r_k(x) · (μ_k − x) / (s_k² + σ²),   r_k = posterior weight of component k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaussianMixture:
    """Σ_k w_k N(μ_k, s_k² I) in the plane: means (K, 2), stds (K,), weights (K,) summing to 1."""

    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if self.means.shape != (len(self.weights), 2) or self.stds.shape != self.weights.shape:
            raise ValueError("A mixture needs means (K, 2), stds (K,) and weights (K,).")
        if not math.isclose(float(self.weights.sum()), 1.0, abs_tol=1e-9):
            raise ValueError("A mixture's weights must sum to 1.")


def _log_components(mix: GaussianMixture, x: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """log(w_k N(x; μ_k, (s_k² + σ²) I)) as (N, K), and the variances (K,)."""
    var = mix.stds.astype(np.float64) ** 2 + sigma**2  # (K,)
    diff = np.asarray(x, np.float64)[:, None, :] - mix.means[None]  # (N, K, 2)
    sq = (diff**2).sum(-1)  # (N, K)
    return np.log(mix.weights) - np.log(2 * math.pi * var) - sq / (2 * var), var


def responsibilities(mix: GaussianMixture, x: np.ndarray, sigma: float = 0.0) -> np.ndarray:
    """r_k(x) = w_k N_k(x) / p(x): which component each point (N, 2) most likely came from, (N, K)."""
    logs, _ = _log_components(mix, x, sigma)
    logs -= logs.max(1, keepdims=True)
    r = np.exp(logs)
    return r / r.sum(1, keepdims=True)


def mixture_log_density(mix: GaussianMixture, x: np.ndarray, sigma: float = 0.0) -> np.ndarray:
    """log p_σ(x) for points (N, 2), in nats (σ = 0: the mixture itself)."""
    logs, _ = _log_components(mix, x, sigma)
    top = logs.max(1)
    return top + np.log(np.exp(logs - top[:, None]).sum(1))


def mixture_score(mix: GaussianMixture, x: np.ndarray, sigma: float = 0.0) -> np.ndarray:
    """∇ₓ log p_σ(x) for points (N, 2): Σ_k r_k (μ_k − x) / (s_k² + σ²), as float64 (N, 2)."""
    x = np.asarray(x, np.float64)
    logs, var = _log_components(mix, x, sigma)
    logs -= logs.max(1, keepdims=True)
    r = np.exp(logs)
    r /= r.sum(1, keepdims=True)  # (N, K)
    pull = (mix.means[None] - x[:, None, :]) / var[None, :, None]  # (N, K, 2)
    return (r[:, :, None] * pull).sum(1)


def sample_mixture(mix: GaussianMixture, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (float64, (n, 2)) drawn from the mixture."""
    k = rng.choice(len(mix.weights), size=n, p=mix.weights)
    return mix.means[k] + mix.stds[k, None] * rng.standard_normal((n, 2))


def mode_shares(mix: GaussianMixture, x: np.ndarray) -> np.ndarray:
    """The share of points (N, 2) whose most likely component is k, for each k: (K,), summing to 1."""
    if len(x) == 0:
        return np.zeros(len(mix.weights))
    nearest = responsibilities(mix, x).argmax(1)
    return np.bincount(nearest, minlength=len(mix.weights)) / len(x)
