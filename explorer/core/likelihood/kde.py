"""Kernel density estimation (Parzen windows) as an evaluation of a model from its samples alone.

With centres c_1..c_N (a model's samples, or the training set) and an isotropic Gaussian kernel of width h,

    p̂_h(x) = (1/N) Σ_i N(x | c_i, h² I),   log p̂_h(x) = logsumexp_i(−‖x − c_i‖² / 2h²) − log N − (D/2) log 2πh²,

and the mean log p̂_h over held-out points is the score, with h chosen on a validation split
(Breuleux et al. 2011; the GAN paper's Table 1). Theis et al. (2016) show why it misleads in high
dimension: the estimate is far below the true log-likelihood at any N one can afford, and ranks
models by how near their samples sit to the test points, not by their density.
"""

from __future__ import annotations

import math

import numpy as np

from explorer.core.likelihood.gmm import logsumexp
from explorer.core.runtime.errors import DataError

CHUNK_ENTRIES = 4_000_000  # test × centre distances held at once (32 MB of float64)


def parzen_log_density(x: np.ndarray, centres: np.ndarray, bandwidth: float) -> np.ndarray:
    """log p̂_h(x_m) for each row of ``x`` (M, D) from ``centres`` (N, D), in nats, (M,) float64.

    Squared distances come from ‖x‖² + ‖c‖² − 2 x·c (one matrix product per chunk of test points)."""
    if bandwidth <= 0 or not math.isfinite(bandwidth):
        raise DataError(f"The bandwidth h must be a positive number, not {bandwidth!r}.")
    x = np.asarray(x, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    if x.ndim != 2 or centres.ndim != 2 or x.shape[1] != centres.shape[1] or not len(centres):
        raise DataError(f"Parzen needs (M, D) points and (N, D) centres, not {x.shape} and {centres.shape}.")
    N, D = centres.shape
    c2 = (centres**2).sum(1)  # (N,)
    rows = max(1, CHUNK_ENTRIES // N)
    out = np.empty(len(x))
    for start in range(0, len(x), rows):
        part = x[start : start + rows]
        sq = np.maximum((part**2).sum(1)[:, None] + c2[None] - 2 * part @ centres.T, 0.0)  # (m, N)
        out[start : start + rows] = logsumexp(-sq / (2 * bandwidth**2), axis=1)
    return out - math.log(N) - 0.5 * D * math.log(2 * math.pi * bandwidth**2)


def parzen_log_likelihood(x: np.ndarray, centres: np.ndarray, bandwidth: float) -> float:
    """The mean log p̂_h over the held-out points ``x``, nats per point."""
    return float(parzen_log_density(x, centres, bandwidth).mean())


def best_bandwidth(validation: np.ndarray, centres: np.ndarray, candidates: np.ndarray) -> tuple[float, np.ndarray]:
    """The h among ``candidates`` with the highest mean log p̂_h on ``validation``, and every candidate's score."""
    scores = np.array([parzen_log_likelihood(validation, centres, float(h)) for h in candidates])
    return float(candidates[int(np.argmax(scores))]), scores


def parzen_curve(x: np.ndarray, centres: np.ndarray, bandwidths: np.ndarray) -> np.ndarray:
    """The mean log p̂_h over ``x`` for every h in ``bandwidths``, the distances computed once: (H,)."""
    x = np.asarray(x, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    N, D = centres.shape
    sq = np.maximum((x**2).sum(1)[:, None] + (centres**2).sum(1)[None] - 2 * x @ centres.T, 0.0)  # (M, N)
    return np.array(
        [
            float(logsumexp(-sq / (2 * h * h), axis=1).mean()) - math.log(N) - 0.5 * D * math.log(2 * math.pi * h * h)
            for h in bandwidths
        ]
    )
