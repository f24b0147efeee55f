"""The GAN's theory on the toy game (Goodfellow et al. 2014, section 4): the optimal discriminator, the JS
divergence it turns the game into, and the gradient each generator objective passes back.

For a fixed G, the D that maximises V(D, G) = E_data log D(x) + E_g log(1 - D(x)) is

    D*(x) = p_data(x) / (p_data(x) + p_g(x))                                   (Proposition 1)

and at it V(D*, G) = -log 4 + 2 JS(p_data || p_g)                              (Theorem 1, eq. 5-6)

so G, facing D*, minimises the Jensen-Shannon divergence. On the toy game p_data is the ring's mixture in
closed form and p_g is estimated by a Gaussian kernel density estimate of G's samples. One-sided label smoothing
(D aimed at 1 - s on real data, Salimans et al. 2016) moves the optimum to D*(x) = (1 - s) p_data / (p_data + p_g):
at the equilibrium p_g = p_data, D* = (1 - s) / 2, not 1/2. All logs are natural (nats).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOG4 = math.log(4.0)
RING_SIGMA = 0.02  # the ring's modes' standard deviation (ring_of_gaussians')


def ring_density(points: np.ndarray, modes: int = 8, radius: float = 2.0, sigma: float = RING_SIGMA) -> np.ndarray:
    """p_data of ``ring_of_gaussians`` at (N, 2) points: the equal mixture of N(mu_k, sigma^2 I), (N,)."""
    angle = 2 * math.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (modes, 2)
    sq = ((points[:, None, :] - centres[None]) ** 2).sum(-1)  # (N, modes)
    return np.exp(-sq / (2 * sigma**2)).mean(1) / (2 * math.pi * sigma**2)


def scott_bandwidth(samples: np.ndarray) -> float:
    """Scott's rule for a Gaussian KDE in d dimensions: n^(-1/(d+4)) times the samples' mean standard deviation."""
    n, d = samples.shape
    return float(n ** (-1.0 / (d + 4)) * samples.std(axis=0).mean())


def kde_density(points: np.ndarray, samples: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """A Gaussian kernel density estimate of the samples' density at (N, d) points: (N,)."""
    h = scott_bandwidth(samples) if bandwidth is None else bandwidth
    d = samples.shape[1]
    sq = ((points[:, None, :] - samples[None]) ** 2).sum(-1)  # (N, n)
    return np.exp(-sq / (2 * h**2)).mean(1) / (2 * math.pi * h**2) ** (d / 2)


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """D*(x) = (1 - s) p_data / (p_data + p_g) (Proposition 1; s: one-sided label smoothing);
    (1 - s) / 2 where both densities are 0."""
    total = p_data + p_g
    ratio = np.divide(p_data, total, out=np.full_like(total, 0.5), where=total > 0)
    return (1.0 - smoothing) * ratio


def js_divergence_on_grid(p: np.ndarray, q: np.ndarray, cell: float) -> float:
    """JS(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2, of two densities on a grid of cells of area
    ``cell``, each renormalised on the grid; in nats, between 0 and log 2."""
    p = p / (p.sum() * cell)
    q = q / (q.sum() * cell)
    m = 0.5 * (p + q)

    def kl_to_m(a: np.ndarray) -> float:
        mask = a > 0
        return float((a[mask] * np.log(a[mask] / m[mask])).sum() * cell)

    return 0.5 * kl_to_m(p) + 0.5 * kl_to_m(q)


def value_at_optimum(js: float) -> float:
    """V(D*, G) = -log 4 + 2 JS(p_data || p_g) (Theorem 1): -log 4 exactly when p_g = p_data."""
    return -LOG4 + 2.0 * js


def game_value(p_data: np.ndarray, p_g: np.ndarray, d: np.ndarray, cell: float) -> float:
    """V(D, G) = E_data log D + E_g log(1 - D), integrated on the grid (densities renormalised on it)."""
    p_data = p_data / (p_data.sum() * cell)
    p_g = p_g / (p_g.sum() * cell)
    d = np.clip(d, 1e-12, 1 - 1e-12)
    return float(((p_data * np.log(d)).sum() + (p_g * np.log(1 - d)).sum()) * cell)


def generator_logit_gradient(d_of_fake: np.ndarray, objective: str) -> np.ndarray:
    """How hard each fake sample's loss pulls on D's logit l = logit D(G(z)): |d loss / d l|.

    minimax, loss log(1 - D): d/dl = -D(G(z)), which vanishes where D confidently rejects the fake (D -> 0);
    non-saturating, loss -log D: d/dl = -(1 - D(G(z))), largest exactly there (Goodfellow et al. section 3).
    """
    if objective == "minimax":
        return np.asarray(d_of_fake, dtype=np.float64)
    if objective == "non_saturating":
        return 1.0 - np.asarray(d_of_fake, dtype=np.float64)
    raise ValueError(f"Unknown generator objective {objective!r}.")


def equilibrium_output(smoothing: float = 0.0) -> float:
    """D's output everywhere when p_g = p_data: D* = (1 - s) / 2 (1/2 without smoothing)."""
    return (1.0 - smoothing) / 2.0


def equilibrium_d_loss(smoothing: float = 0.0) -> float:
    """D's loss at the equilibrium, -[(1 - s) log D* + s log(1 - D*)] - log(1 - D*) at D* = (1 - s) / 2:
    2 log 2 without smoothing, the dashed line of the losses plot."""
    d = equilibrium_output(smoothing)
    real = -(1.0 - smoothing) * math.log(d) - (smoothing * math.log(1.0 - d) if smoothing else 0.0)
    return real - math.log(1.0 - d)


def kde_on_grid(samples: np.ndarray, axis: np.ndarray, bandwidth: float) -> np.ndarray:
    """A Gaussian KDE of (n, 2) samples on the square grid ``axis`` x ``axis``: (H, W), row i at y_i, column j
    at x_j. The kernel factorises, exp(-|p - s|^2 / 2h^2) = exp(-(x - s_x)^2 / 2h^2) exp(-(y - s_y)^2 / 2h^2),
    so the grid is one (H, n) @ (n, W) product instead of H * W * n kernel evaluations."""
    k_y = np.exp(-((axis[:, None] - samples[None, :, 1]) ** 2) / (2 * bandwidth**2))  # (H, n)
    k_x = np.exp(-((axis[:, None] - samples[None, :, 0]) ** 2) / (2 * bandwidth**2))  # (W, n)
    return (k_y @ k_x.T) / (len(samples) * 2 * math.pi * bandwidth**2)


KDE_BANDWIDTH = 0.15  # h of the KDE of G's points, in the plane's units (the ring has radius 2)
NEGLIGIBLE = 1e-3  # where p_data + p_g is below this share of its peak, neither has mass: any D is optimal there


@dataclass(frozen=True)
class ToyTheory:
    """The theory of one moment of the toy game, on D's heat-map grid (all in nats)."""

    d_star: np.ndarray  # (H, W) D*(x); (1 - s) / 2 where neither density has mass
    js: float  # JS(p_data || p_g)
    value_at_optimum: float  # V(D*, G) = -log 4 + 2 JS
    value: float | None  # V(D, G) of the trained D on the grid; None without its heat map


def toy_theory(
    fake: np.ndarray,
    extent: float,
    resolution: int,
    smoothing: float = 0.0,
    heatmap: np.ndarray | None = None,
    bandwidth: float = KDE_BANDWIDTH,
) -> ToyTheory:
    """D*, JS and V for G's (n, 2) points ``fake`` on the ``resolution``-square grid over [-extent, extent]^2
    (D's ``heatmap`` on that grid gives V(D, G) too).

    p_g is a KDE of G's points with bandwidth h; p_data is the ring blurred by the same kernel (its modes'
    sigma^2 + h^2, in closed form), so a G that matches the data gives D* = (1 - s) / 2 everywhere, and the
    JS of the two blurred densities is at most the true one (blurring both alike cannot separate them)."""
    axis = np.linspace(-extent, extent, resolution)
    cell = float(axis[1] - axis[0]) ** 2
    y, x = np.meshgrid(axis, axis, indexing="ij")
    grid = np.stack([x.ravel(), y.ravel()], axis=1)  # (H * W, 2)
    p_data = ring_density(grid, sigma=math.sqrt(RING_SIGMA**2 + bandwidth**2)).reshape(resolution, resolution)
    p_g = kde_on_grid(np.asarray(fake, dtype=np.float64), axis, bandwidth)
    js = js_divergence_on_grid(p_data, p_g, cell)
    massless = (p_data + p_g) < NEGLIGIBLE * (p_data + p_g).max()
    d_star = optimal_discriminator(np.where(massless, 0.0, p_data), np.where(massless, 0.0, p_g), smoothing)
    value = None if heatmap is None else game_value(p_data, p_g, heatmap.astype(np.float64), cell)
    return ToyTheory(d_star=d_star.astype(np.float32), js=js, value_at_optimum=value_at_optimum(js), value=value)
