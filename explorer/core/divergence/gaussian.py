"""Continuous distributions: the closed-form KL of Gaussians, and 1-D Gaussian mixtures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core.divergence.checks import (
    Base,
    DistributionError,
    _points,
    _real,
    _reals,
    _too_large,
    _whole,
    as_distribution,
    log_base,
)

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def kl_gaussian(
    mu_p: float | Sequence[float] | np.ndarray,
    sigma_p: float | Sequence[float] | np.ndarray,
    mu_q: float | Sequence[float] | np.ndarray = 0.0,
    sigma_q: float | Sequence[float] | np.ndarray = 1.0,
    base: Base = "nats",
) -> float:
    """Closed-form KL(N(μp, σp²)‖N(μq, σq²)); with vectors, the diagonal Gaussians' KL (sum over dims).

    Per dimension: log(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½, computed as
    log σq − log σp + ½((σp/σq)² + ((μp − μq)/σq)²) − ½ so that no intermediate overflows or
    underflows unless the KL itself does (then it is refused: it is finite, just too large).
    """
    mp, sp = _reals(mu_p, "p's μ"), _reals(sigma_p, "p's σ", positive=True)
    mq, sq = _reals(mu_q, "q's μ"), _reals(sigma_q, "q's σ", positive=True)
    try:
        mp, sp, mq, sq = np.broadcast_arrays(mp, sp, mq, sq)
        shaped = mp.ndim <= 1 and mp.size > 0
    except ValueError:
        shaped = False
    if not shaped:
        raise DistributionError("μ and σ of p and q must be numbers, or non-empty lists of the same length")
    with np.errstate(over="ignore"):
        gap = mp - mq
        # (μp − μq)/σq, halving μp and μq first where their difference alone overflows
        z = np.where(np.isfinite(gap), gap / sq, 2.0 * ((0.5 * mp - 0.5 * mq) / sq))
        per_dim = np.log(sq) - np.log(sp) + 0.5 * ((sp / sq) ** 2 + z**2) - 0.5
        kl = float(np.sum(per_dim)) / log_base(base)
    if not math.isfinite(kl):
        raise _too_large()
    return kl


@dataclass(frozen=True)
class GaussianMixture:
    """A 1-D mixture Σ w_k N(μ_k, σ_k²); weights are normalised on construction."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sigmas: tuple[float, ...]

    def __post_init__(self) -> None:
        w, _ = as_distribution(self.weights, "the mixture weights")
        means = _reals(self.means, "every mean")
        sigmas = _reals(self.sigmas, "every σ", positive=True)
        if means.ndim != 1 or sigmas.ndim != 1 or not w.size == means.size == sigmas.size:
            raise DistributionError("a mixture needs the same number (≥ 1) of weights, means and σs")
        object.__setattr__(self, "weights", tuple(float(v) for v in w))
        object.__setattr__(self, "means", tuple(float(v) for v in means))
        object.__setattr__(self, "sigmas", tuple(float(v) for v in sigmas))

    @classmethod
    def gaussian(cls, mu: float, sigma: float) -> GaussianMixture:
        """A single Gaussian N(μ, σ²) as a one-component mixture."""
        return cls((1.0,), (mu,), (sigma,))

    @property
    def is_single(self) -> bool:
        """True when only one component carries weight, so closed-form Gaussian formulas apply."""
        return sum(w > 0 for w in self.weights) == 1

    def single(self) -> tuple[float, float]:
        """(μ, σ) of the only weighted component; call only when ``is_single``."""
        k = next(i for i, w in enumerate(self.weights) if w > 0)
        return self.means[k], self.sigmas[k]

    def span(self, width: float = 10.0) -> tuple[float, float]:
        """An interval holding all but a negligible tail of the mass: means ± width·σ.

        Refused when it runs past the largest float, where no grid over it could be built.
        """
        k = _real(width, "the width in σs")
        if k < 0:
            raise DistributionError(f"the width in σs cannot be negative, not {k:g}")
        m, s = np.asarray(self.means), np.asarray(self.sigmas)
        with np.errstate(over="ignore"):
            lo, hi = float(np.min(m - k * s)), float(np.max(m + k * s))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise DistributionError(
                f"the mixture's means ± {k:g}σ run past the largest floating-point number (about 1.8e308)"
            )
        return lo, hi

    def _columns(self, ndim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # w, μ, σ shaped (components, 1, …) to broadcast against points with ndim dimensions
        shape = (-1, *([1] * ndim))
        w, m, s = (np.asarray(v).reshape(shape) for v in (self.weights, self.means, self.sigmas))
        return w, m, s

    def _component_logpdf(self, x: np.ndarray) -> np.ndarray:
        # log w_k + log N(x; μ_k, σ_k²), shape (components, *x.shape); −∞ where ((x − μ_k)/σ_k)² overflows
        w, m, s = self._columns(x.ndim)
        with np.errstate(divide="ignore", over="ignore"):
            return np.log(w) - np.log(s) - _LOG_SQRT_2PI - 0.5 * ((x[None, ...] - m) / s) ** 2

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """log p(x), computed with log-sum-exp so far tails stay finite; −∞ (not nan) where p(x) underflows."""
        c = self._component_logpdf(_points(x))
        top = np.max(c, axis=0)
        top = np.where(np.isfinite(top), top, 0.0)  # every component underflowed: shifting by −∞ would give nan
        with np.errstate(divide="ignore"):
            return top + np.log(np.sum(np.exp(c - top), axis=0))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """p(x) = Σ w_k N(x; μ_k, σ_k²); ∞ only where the density exceeds the largest float (σ below ~1e-308)."""
        with np.errstate(over="ignore"):
            return np.exp(self.logpdf(x))

    def score(self, x: np.ndarray) -> np.ndarray:
        """d/dx log p(x) = Σ r_k(x)·(μ_k − x)/σ_k², with r_k the component responsibilities.

        Far out, where every component's density underflows, r_k takes its limit: all weight on
        the components nearest in σs, |x − μ_k|/σ_k, shared among equals in proportion to w_k/σ_k.
        """
        x = _points(x)
        c = self._component_logpdf(x)
        log_p = self.logpdf(x)[None, ...]
        w, m, s = self._columns(x.ndim)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            r = np.exp(c - log_p)
            distance = np.where(w > 0, np.abs((x[None, ...] - m) / s), np.inf)
            # log(w_k/σ_k) for the nearest components: w/σ itself overflows for subnormal σ
            log_share = np.where(distance == np.min(distance, axis=0), np.log(w) - np.log(s), -np.inf)
            share = np.exp(log_share - np.max(log_share, axis=0))
            r = np.where(np.isfinite(log_p), r, share / np.sum(share, axis=0))
            pull = (m - x[None, ...]) / s / s  # not / s²: σ² underflows to 0 for σ below ~1e-162
            score = np.sum(np.where(r > 0, r * pull, 0.0), axis=0)
        if np.any(np.isnan(score)):  # pulls of +∞ and −∞ met: the score is beyond floating point
            raise DistributionError(
                "the score is too large for floating-point numbers here: "
                "the σs are tiny beside the distance to the means"
            )
        return score

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws: pick a component by weight, then draw from its Gaussian."""
        n = _whole(n, "the number of samples")
        if n < 0:
            raise DistributionError(f"the number of samples cannot be negative, not {n}")
        return self.transform(rng.random(n), rng.standard_normal(n))

    def transform(self, uniform: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """Draws made from given U(0, 1) and N(0, 1) numbers: the component k whose cumulative weight passes
        u, then μ_k + σ_k·z. With the same numbers for every p (common random numbers) a view that redraws
        at each step of a slider spends no time on the generator, and its estimate moves smoothly."""
        cumulative = np.cumsum(np.asarray(self.weights))
        k = np.minimum(np.searchsorted(cumulative, uniform * cumulative[-1], side="right"), len(self.weights) - 1)
        with np.errstate(over="ignore", invalid="ignore"):
            draws = np.asarray(self.means)[k] + np.asarray(self.sigmas)[k] * normal
        if not np.all(np.isfinite(draws)):
            raise DistributionError(
                "the mixture is too wide to sample: a draw passed the largest floating-point number (about 1.8e308)"
            )
        return draws
