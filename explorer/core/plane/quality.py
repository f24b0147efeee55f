"""The lab's quality number: the squared maximum mean discrepancy between a model's samples and the data.

MMD² (Gretton et al. 2012) with a sum of Gaussian kernels k(a, b) = Σ_h exp(−‖a − b‖² / (2h²)) over the
bandwidths h = 0.05, 0.1, 0.2, 0.5, 1 (fine enough for a ring mode's 0.25 spread, wide enough for the
layout), biased (V-statistic) estimate, so it never goes below 0. Even two fresh draws of the data
itself score above 0 at a finite sample size: that value is the **floor**, and a model "matches the data"
when its MMD² is within a margin of the floor at the same sample sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.plane.data import PRESETS, make_preset

BANDWIDTHS = (0.05, 0.1, 0.2, 0.5, 1.0)
QUALITY_N = 2000  # samples and reference points compared
MARGIN = 1.5  # "at the floor": within 1.5 × the floor (stated in the help and the README)


def _kernel_mean(a: torch.Tensor, b: torch.Tensor) -> float:
    sq = torch.cdist(a, b).square()  # (Na, Nb)
    return float(sum(torch.exp(-sq / (2 * h * h)).mean() for h in BANDWIDTHS))


def mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Biased MMD² between point sets x (N, 2) and y (M, 2) with the sum of BANDWIDTHS' Gaussian kernels."""
    a = torch.as_tensor(np.asarray(x, np.float64))
    b = torch.as_tensor(np.asarray(y, np.float64))
    return max(_kernel_mean(a, a) + _kernel_mean(b, b) - 2 * _kernel_mean(a, b), 0.0)


@dataclass(frozen=True)
class Judge:
    """The points a model's samples are compared with, and the floor: data against fresh data."""

    reference: np.ndarray
    floor: float

    def score(self, samples: np.ndarray) -> float:
        return mmd2(samples[: len(self.reference)], self.reference)

    def verdict(self, value: float) -> str:
        ratio = value / self.floor if self.floor > 0 else float("inf")
        return "at the floor" if ratio <= MARGIN else f"{ratio:.1f} × the floor"


def judge_for(points: np.ndarray, source: str, n: int = QUALITY_N) -> Judge:
    """A preset is judged against a fresh draw of n points, its floor a second fresh draw; drawn data
    (any other source) against one random half of the points, its floor the other half."""
    if source in PRESETS:
        reference = make_preset(source, n, seed=10_001)
        return Judge(reference, mmd2(make_preset(source, n, seed=10_002), reference))
    order = np.random.default_rng(0).permutation(len(points))
    half = max(1, len(points) // 2)
    reference = points[order[:half]][:n]
    return Judge(reference, mmd2(points[order[half:]][: len(reference)], reference))
