"""What the canvas draws underneath the points: a score field as arrows and a log-density as a heat map,
for the exact density (the known mixture, or the data smoothed by σ) and for the trained models.

"The data smoothed by σ" is p_σ of the data's own empirical distribution: a Gaussian of scale σ on
every point. Its score is exact for any drawn data set, and it is what denoising score matching on
these very points is minimised by, so it is the learned field's reference when no true density is known.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from explorer.core.plane.data import BOX, preset_mixture
from explorer.core.plane.langevin import exact_score_fn
from explorer.core.plane.link import ddpm_score, net_score, step_for_sigma
from explorer.core.plane.mixture import GaussianMixture, mixture_log_density
from explorer.core.plane.models import EpsNet, ScoreNet

ARROWS = 21  # arrows per side of the grid
HEAT_PIXELS = 128  # the heat map's side
MAX_SMOOTHED_POINTS = 1000  # the exact score of drawn data uses at most this many of its points (evenly spaced)


def arrow_tails(n: int = ARROWS, extent: float = BOX) -> np.ndarray:
    """An n × n grid of points over [-extent, extent]², (n², 2)."""
    ticks = np.linspace(-extent, extent, n + 2)[1:-1]
    xx, yy = np.meshgrid(ticks, ticks)
    return np.stack([xx.ravel(), yy.ravel()], 1)


def reference_mixture(points: np.ndarray, source: str, most: int = MAX_SMOOTHED_POINTS) -> tuple[GaussianMixture, bool]:
    """The exact mixture for ``source`` and True, or the data's points as a mixture of zero-width
    components (its σ-smoothed version is p_σ of the data) and False."""
    mix = preset_mixture(source)
    if mix is not None:
        return mix, True
    pts = points[:: max(1, -(-len(points) // most))].astype(np.float64)
    return GaussianMixture(pts, np.zeros(len(pts)), np.full(len(pts), 1 / len(pts))), False


def exact_field(points: np.ndarray, source: str, at: np.ndarray, sigma: float) -> np.ndarray:
    """∇ log p_σ at the points ``at`` (N, 2), in float32 (torch): fast enough for the GUI thread at every σ."""
    mix, _ = reference_mixture(points, source)
    return exact_score_fn(mix)(torch.as_tensor(np.asarray(at, np.float32)), sigma).numpy()


def model_field(net: ScoreNet | EpsNet, at: np.ndarray, sigma: float) -> np.ndarray:
    """A model's estimate of ∇ log p_σ: the score net at σ, or the DDPM at the step whose σ_t is nearest."""
    if isinstance(net, ScoreNet):
        return net_score(net, at, float(np.clip(sigma, net.cfg.sigma_min, net.cfg.sigma_max)))
    return ddpm_score(net, at, step_for_sigma(net, sigma))


def arrows(vectors: np.ndarray, spacing: float) -> np.ndarray:
    """Arrows a learner can read at every σ: direction kept, length ∝ |s| up to the 95th percentile,
    where it reaches 0.9 of the grid spacing (a score's size spans orders of magnitude across σ)."""
    size = np.linalg.norm(vectors, axis=1, keepdims=True)
    top = max(float(np.quantile(size, 0.95)), 1e-12)
    return vectors / np.maximum(size, 1e-12) * np.minimum(size / top, 1.0) * 0.9 * spacing


def log_density_image(
    points: np.ndarray, source: str, sigma: float, pixels: int = HEAT_PIXELS, extent: float = BOX
) -> np.ndarray:
    """log p_σ on a pixels × pixels grid over [-extent, extent]² (row 0 at y = −extent), floored at
    the image's maximum − 12 nats so the tails do not swamp the colour scale."""
    mix = preset_mixture(source)
    if mix is not None:
        centres = (np.arange(pixels) + 0.5) / pixels * 2 * extent - extent
        xx, yy = np.meshgrid(centres, centres)
        image = mixture_log_density(mix, np.stack([xx.ravel(), yy.ravel()], 1), sigma).reshape(pixels, pixels)
    else:
        counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=pixels, range=[[-extent, extent]] * 2)
        cell = 2 * extent / pixels
        smooth = gaussian_filter(counts / max(len(points), 1) / cell**2, sigma=max(sigma / cell, 0.7), mode="constant")
        image = np.log(np.maximum(smooth, 1e-300))
    return np.maximum(image, image.max() - 12.0)
