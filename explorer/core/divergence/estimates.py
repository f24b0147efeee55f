"""KL(p‖q) of continuous densities estimated numerically: on a grid, or from samples of p."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from explorer.core.divergence.checks import Base, DistributionError, _points, _real, _too_large, _whole, log_base
from explorer.core.divergence.gaussian import GaussianMixture


class Density(Protocol):
    """A 1-D probability density that can report log p(x) on an array of points."""

    def logpdf(self, x: np.ndarray) -> np.ndarray: ...


def _scale_of(values: np.ndarray) -> float:
    """A power of two within a factor 2 of max |values|.

    Dividing by it is exact, and sums of the quotients (each below 2 in size) cannot overflow.
    """
    return math.ldexp(1.0, math.frexp(float(np.max(np.abs(values))))[1] - 1)


def kl_integrand(p: Density, q: Density, x: np.ndarray, base: Base = "nats") -> np.ndarray:
    """The integrand p(x) log(p(x)/q(x)) of KL(p‖q) on the points x.

    0 where p(x) underflows or equals q(x); +∞ where q(x) underflows to 0 but p(x) does not.
    """
    x = _points(x)
    lp, lq = p.logpdf(x), q.logpdf(x)
    with np.errstate(over="ignore", invalid="ignore"):
        px = np.exp(lp)
        terms = px * (lp - lq)
    return np.where((px > 0) & (lp != lq), terms, 0.0) / log_base(base)


def kl_numeric(
    p: Density,
    q: Density,
    lo: float | None = None,
    hi: float | None = None,
    n: int = 20001,
    base: Base = "nats",
) -> float:
    """KL(p‖q) = ∫ p log(p/q) dx by the trapezoid rule on n points in [lo, hi].

    Without bounds, p must be a GaussianMixture; the range then covers p's means ± 12σ.
    The integral is taken over t ∈ [0, 1], x = lo + (hi − lo)t, with p(x)·(hi − lo) formed in the
    log domain, so neither a range wider than the largest float nor a density above it overflows.
    +∞ where q's density underflows to 0 but p's does not, as for discrete KL.
    """
    if lo is None or hi is None:
        if not isinstance(p, GaussianMixture):
            raise DistributionError("give lo and hi to integrate a density that is not a Gaussian mixture")
        lo, hi = p.span(12.0)
    lo, hi, n = _real(lo, "lo"), _real(hi, "hi"), _whole(n, "the number of points")
    if not (hi > lo and n >= 3):
        raise DistributionError(
            f"integration needs lo < hi and at least 3 points, not lo = {lo:g}, hi = {hi:g}, {n} points"
        )
    t = np.linspace(0.0, 1.0, n)
    x = lo * (1.0 - t) + hi * t
    width = hi - lo
    log_width = math.log(width) if math.isfinite(width) else math.log(0.5 * hi - 0.5 * lo) + math.log(2.0)
    lp, lq = p.logpdf(x), q.logpdf(x)
    with np.errstate(over="ignore", invalid="ignore"):
        weight = np.exp(lp + log_width)  # p(x)·(hi − lo): p's density per unit of t
        log_ratio = np.where((weight > 0) & (lp != lq), lp - lq, 0.0)
    if not np.all(np.isfinite(weight)):
        raise DistributionError(
            "p is too narrow for this range: its density times hi − lo overflows; integrate over a range nearer p"
        )
    if np.any(log_ratio == np.inf):
        return math.inf
    scale = _scale_of(log_ratio)
    kl = float(np.trapezoid(weight * (log_ratio / scale), dx=1.0 / (n - 1))) * scale / log_base(base)
    if not math.isfinite(kl):
        raise _too_large()
    return kl


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte-Carlo estimate and its standard error (sample std / √n)."""

    estimate: float
    stderr: float
    n: int


@dataclass(frozen=True)
class StandardDraws:
    """n numbers from U(0, 1) and n from N(0, 1), drawn once and turned into draws of any mixture
    (``GaussianMixture.transform``): the Monte-Carlo estimate of a view that redraws at every slider step."""

    uniform: np.ndarray
    normal: np.ndarray

    @classmethod
    def of(cls, rng: np.random.Generator, n: int) -> StandardDraws:
        return cls(rng.random(n), rng.standard_normal(n))


def kl_monte_carlo(
    p: GaussianMixture,
    q: Density,
    rng: np.random.Generator | StandardDraws,
    n: int = 10_000,
    base: Base = "nats",
) -> MonteCarloEstimate:
    """KL(p‖q) ≈ (1/n) Σ log p(x_i)/q(x_i) with x_i ~ p; unbiased, error shrinks as 1/√n.

    ``rng`` draws the x_i, or ``StandardDraws`` made once give them (their first n).
    A draw where q's density underflows to 0 (but p's, having drawn it, does not) makes KL(p‖q)
    infinite for certain, so the estimate is then +∞ with standard error 0.
    """
    if not isinstance(p, GaussianMixture):
        raise DistributionError("p must be a GaussianMixture, to draw samples from it")
    n = _whole(n, "the number of samples")
    if n < 2:
        raise DistributionError(f"a Monte-Carlo estimate needs at least 2 samples, not {n}")
    if isinstance(rng, StandardDraws):
        if len(rng.uniform) < n:
            raise DistributionError(f"{n} samples asked of {len(rng.uniform)} standard draws")
        x = p.transform(rng.uniform[:n], rng.normal[:n])
    else:
        x = p.sample(n, rng)
    log_ratio = p.logpdf(x) - q.logpdf(x)
    if np.any(log_ratio == np.inf):
        return MonteCarloEstimate(math.inf, 0.0, n)
    scale = _scale_of(log_ratio)  # huge log-ratios would overflow the sums in mean and std
    unit = log_ratio / scale
    estimate = float(np.mean(unit)) * scale / log_base(base)
    if not math.isfinite(estimate):
        raise _too_large()
    return MonteCarloEstimate(estimate, float(np.std(unit, ddof=1)) * scale / math.sqrt(n) / log_base(base), n)
