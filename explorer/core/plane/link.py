"""The link between the DDPM and the score network, and the numbers that compare two fields.

The DDPM's x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε, divided by √ᾱ_t, is y = x₀ + σ_t ε with σ_t² = (1 − ᾱ_t)/ᾱ_t:
the score network's noised data at level σ_t. Tweedie's formula gives ∇ log q_t(x_t) = −ε̂/√(1−ᾱ_t),
and the chain rule turns it into the y-coordinates the score network lives in:
    s(y, σ_t) = √ᾱ_t · ∇ log q_t(√ᾱ_t y) = −ε̂(√ᾱ_t y, t) / σ_t.
The lab draws every field in y-coordinates (the data's own frame), so the three fields compare directly.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from explorer.core.plane.models import EpsNet, ScoreNet


def sigma_of(abar: float) -> float:
    """σ_t = √((1 − ᾱ_t)/ᾱ_t): the score network's level matching DDPM step t."""
    return math.sqrt((1 - abar) / abar)


def step_for_sigma(net: EpsNet, sigma: float) -> int:
    """The 0-based DDPM step whose σ_t is nearest ``sigma`` (in log σ)."""
    abar = net.alphas_cumprod.numpy()
    sigmas = np.sqrt((1 - abar) / abar)
    return int(np.abs(np.log(sigmas) - math.log(sigma)).argmin())


def ddpm_score(net: EpsNet, y: np.ndarray, t: int) -> np.ndarray:
    """The DDPM's estimate of ∇_y log p_σ(y) at σ = σ_t: −ε̂(√ᾱ_t y, t)/σ_t, for points y (N, 2)."""
    abar = float(net.alphas_cumprod[t])
    x_t = torch.as_tensor(np.asarray(y, np.float32)) * math.sqrt(abar)
    with torch.no_grad():
        eps = net(x_t, torch.full((len(x_t),), t, dtype=torch.long))
    return (-eps / sigma_of(abar)).numpy()


def net_score(net: ScoreNet, y: np.ndarray, sigma: float) -> np.ndarray:
    """The score network's s(y, σ) for points y (N, 2)."""
    with torch.no_grad():
        x = torch.as_tensor(np.asarray(y, np.float32))
        return net(x, torch.full((len(x),), float(sigma))).numpy()


def agreement(field: np.ndarray, exact: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """(mean cosine, relative error) of a field against the exact one at the same points (N, 2).

    Relative error = √(Σ w‖f − e‖²) / √(Σ w‖e‖²): the size of the mistake against the size of the
    field, weighted (e.g. by the density, so the empty corners, which no sample visits, do not count)."""
    w = np.ones(len(exact)) if weights is None else np.asarray(weights, np.float64)
    w = w / w.sum()
    dot = (field * exact).sum(1)
    norms = np.linalg.norm(field, axis=1) * np.linalg.norm(exact, axis=1)
    cosine = float((w * dot / np.maximum(norms, 1e-12)).sum())
    error = math.sqrt(
        float((w * ((field - exact) ** 2).sum(1)).sum()) / max(float((w * (exact**2).sum(1)).sum()), 1e-12)
    )
    return cosine, error
