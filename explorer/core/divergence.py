"""Entropy, cross-entropy, KL and Jensen–Shannon divergences, Qt-free.

Discrete distributions are numpy vectors; continuous ones are 1-D Gaussian
mixtures.  Every quantity takes ``base``: "bits" (log base 2) or "nats" (log e).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Base = Literal["bits", "nats"]
Direction = Literal["forward", "reverse"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class DistributionError(ValueError):
    """A distribution or parameter a learner typed that cannot be used, with the reason."""


def log_base(base: Base) -> float:
    """ln of the logarithm's base, to convert nats into the requested units."""
    if base == "bits":
        return math.log(2.0)
    if base == "nats":
        return 1.0
    raise DistributionError(f"units must be 'bits' or 'nats', not {base!r}")


def as_distribution(values: Sequence[float] | np.ndarray, name: str = "p") -> tuple[np.ndarray, bool]:
    """Check a vector of probabilities and normalise it to sum to 1.

    Returns the normalised vector and whether it had to be rescaled, so the UI can say so.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise DistributionError(f"{name} must be a non-empty list of probabilities")
    bad = np.flatnonzero(np.isnan(x))
    if bad.size:
        raise DistributionError(f"{name} has a value that is not a number in category {bad[0] + 1}")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise DistributionError(f"{name} is infinite in category {bad[0] + 1}")
    bad = np.flatnonzero(x < 0)
    if bad.size:
        raise DistributionError(
            f"{name} is negative ({x[bad[0]]:g}) in category {bad[0] + 1}: probabilities cannot be negative"
        )
    total = float(x.sum())
    if total == 0.0:
        raise DistributionError(f"{name} is all zeros: at least one category needs some probability")
    return x / total, not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=1e-9)


def _pair(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p_n, _ = as_distribution(p, "p")
    q_n, _ = as_distribution(q, "q")
    if p_n.shape != q_n.shape:
        raise DistributionError(f"p has {p_n.size} categories but q has {q_n.size}")
    return p_n, q_n


def entropy(p: Sequence[float] | np.ndarray, base: Base = "bits") -> float:
    """Shannon entropy H(p) = −Σ p_i log p_i: the average surprise of outcomes drawn from p."""
    p_n, _ = as_distribution(p, "p")
    nz = p_n > 0  # 0 log 0 = 0
    return float(-np.sum(p_n[nz] * np.log(p_n[nz])) / log_base(base))


def kl_contributions(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits"
) -> np.ndarray:
    """Each category's term p_i log(p_i / q_i) of KL(p‖q); +∞ where q_i = 0 < p_i, 0 where p_i = 0."""
    p_n, q_n = _pair(p, q)
    out = np.zeros_like(p_n)
    nz = p_n > 0
    with np.errstate(divide="ignore"):
        out[nz] = p_n[nz] * (np.log(p_n[nz]) - np.log(q_n[nz]))
    return out / log_base(base)


def infinite_categories(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> list[int]:
    """Categories (1-based) where q is 0 but p is not: each makes KL(p‖q) and H(p, q) infinite."""
    p_n, q_n = _pair(p, q)
    return [int(i) + 1 for i in np.flatnonzero((q_n == 0) & (p_n > 0))]


def explain_infinite(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, p_name: str = "p", q_name: str = "q"
) -> str | None:
    """A sentence naming the first category that makes KL(p‖q) infinite, or None if it is finite."""
    cats = infinite_categories(p, q)
    if not cats:
        return None
    p_n, _ = _pair(p, q)
    i = cats[0]
    return (
        f"{q_name} is 0 in category {i} where {p_name} is {p_n[i - 1]:.3g}: "
        f"KL({p_name}‖{q_name}) is infinite"
    )


def cross_entropy(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits"
) -> float:
    """Cross-entropy H(p, q) = −Σ p_i log q_i: average code length when data from p is coded for q."""
    p_n, q_n = _pair(p, q)
    if infinite_categories(p_n, q_n):
        return math.inf
    nz = p_n > 0
    return float(-np.sum(p_n[nz] * np.log(q_n[nz])) / log_base(base))


def kl_divergence(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits"
) -> float:
    """KL(p‖q) = Σ p_i log(p_i / q_i) = H(p, q) − H(p); ∞ if q is 0 where p is not."""
    return float(np.sum(kl_contributions(p, q, base)))


def js_divergence(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits"
) -> float:
    """Jensen–Shannon JS = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2: symmetric, finite, ≤ 1 bit."""
    p_n, q_n = _pair(p, q)
    m = 0.5 * (p_n + q_n)
    return 0.5 * kl_divergence(p_n, m, base) + 0.5 * kl_divergence(q_n, m, base)


def set_probability(p: Sequence[float] | np.ndarray, index: int, value: float) -> np.ndarray:
    """Set p[index] to value (clipped to [0, 1]) and rescale the others so the total stays 1.

    The other categories keep their proportions; if they are all 0 they share the rest equally.
    """
    p_n, _ = as_distribution(p, "p")
    if not 0 <= index < p_n.size:
        raise DistributionError(f"there is no category {index + 1}; p has {p_n.size}")
    v = min(max(float(value), 0.0), 1.0)
    rest = np.delete(p_n, index)
    rest_total = float(rest.sum())
    if rest.size == 0:
        v = 1.0
    elif rest_total > 0:
        rest = rest * (1.0 - v) / rest_total
    else:
        rest = np.full(rest.size, (1.0 - v) / rest.size)
    return np.insert(rest, index, v)


def resize_distribution(p: Sequence[float] | np.ndarray, k: int) -> np.ndarray:
    """Change the number of categories to k: new ones get 1/k each, removed ones give their mass back."""
    if k < 1:
        raise DistributionError(f"a distribution needs at least one category, not {k}")
    p_n, _ = as_distribution(p, "p")
    if k <= p_n.size:
        kept = p_n[:k]
        return kept / kept.sum() if kept.sum() > 0 else np.full(k, 1.0 / k)
    added = k - p_n.size
    return np.concatenate([p_n * (1.0 - added / k), np.full(added, 1.0 / k)])


def kl_gaussian(
    mu_p: float | Sequence[float] | np.ndarray,
    sigma_p: float | Sequence[float] | np.ndarray,
    mu_q: float | Sequence[float] | np.ndarray = 0.0,
    sigma_q: float | Sequence[float] | np.ndarray = 1.0,
    base: Base = "nats",
) -> float:
    """Closed-form KL(N(μp, σp²)‖N(μq, σq²)); with vectors, the diagonal Gaussians' KL (sum over dims).

    Per dimension: log(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½.
    """
    mp, sp, mq, sq = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (mu_p, sigma_p, mu_q, sigma_q)))
    for name, arr in (("μ of p", mp), ("σ of p", sp), ("μ of q", mq), ("σ of q", sq)):
        if not np.all(np.isfinite(arr)):
            raise DistributionError(f"{name} must be a finite number")
    if np.any(sp <= 0) or np.any(sq <= 0):
        raise DistributionError("a Gaussian's σ must be greater than 0")
    per_dim = np.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2.0 * sq**2) - 0.5
    return float(np.sum(per_dim) / log_base(base))


class Density(Protocol):
    """A 1-D probability density that can report log p(x) on an array of points."""

    def logpdf(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class GaussianMixture:
    """A 1-D mixture Σ w_k N(μ_k, σ_k²); weights are normalised on construction."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sigmas: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.weights)
        if n == 0 or len(self.means) != n or len(self.sigmas) != n:
            raise DistributionError("a mixture needs the same number (≥ 1) of weights, means and σs")
        w, _ = as_distribution(self.weights, "the mixture weights")
        if not all(math.isfinite(m) for m in self.means):
            raise DistributionError("every mean must be a finite number")
        if not all(math.isfinite(s) and s > 0 for s in self.sigmas):
            raise DistributionError("every σ must be a finite number greater than 0")
        object.__setattr__(self, "weights", tuple(float(v) for v in w))
        object.__setattr__(self, "means", tuple(float(v) for v in self.means))
        object.__setattr__(self, "sigmas", tuple(float(v) for v in self.sigmas))

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
        """An interval holding all but a negligible tail of the mass: means ± width·σ."""
        m, s = np.asarray(self.means), np.asarray(self.sigmas)
        return float(np.min(m - width * s)), float(np.max(m + width * s))

    def _component_logpdf(self, x: np.ndarray) -> np.ndarray:
        # log w_k + log N(x; μ_k, σ_k²), shape (components, *x.shape)
        x = np.asarray(x, dtype=float)[None, ...]
        w = np.asarray(self.weights).reshape(-1, *([1] * (x.ndim - 1)))
        m = np.asarray(self.means).reshape(w.shape)
        s = np.asarray(self.sigmas).reshape(w.shape)
        with np.errstate(divide="ignore"):
            return np.log(w) - np.log(s) - _LOG_SQRT_2PI - 0.5 * ((x - m) / s) ** 2

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """log p(x), computed with log-sum-exp so far tails stay finite."""
        c = self._component_logpdf(x)
        top = np.max(c, axis=0)
        return top + np.log(np.sum(np.exp(c - top), axis=0))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """p(x) = Σ w_k N(x; μ_k, σ_k²)."""
        return np.exp(self.logpdf(x))

    def score(self, x: np.ndarray) -> np.ndarray:
        """d/dx log p(x) = Σ r_k(x)·(μ_k − x)/σ_k², with r_k the component responsibilities."""
        c = self._component_logpdf(x)
        r = np.exp(c - self.logpdf(x)[None, ...])
        m = np.asarray(self.means).reshape(-1, *([1] * (c.ndim - 1)))
        s = np.asarray(self.sigmas).reshape(m.shape)
        return np.sum(r * (m - np.asarray(x, dtype=float)[None, ...]) / s**2, axis=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws: pick a component by weight, then draw from its Gaussian."""
        k = rng.choice(len(self.weights), size=n, p=np.asarray(self.weights))
        return rng.normal(np.asarray(self.means)[k], np.asarray(self.sigmas)[k])


def kl_integrand(p: Density, q: Density, x: np.ndarray, base: Base = "nats") -> np.ndarray:
    """The integrand p(x) log(p(x)/q(x)) of KL(p‖q) on the points x (0 where p(x) underflows)."""
    lp, lq = p.logpdf(x), q.logpdf(x)
    px = np.exp(lp)
    return np.where(px > 0, px * (lp - lq), 0.0) / log_base(base)


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
    """
    if lo is None or hi is None:
        if not isinstance(p, GaussianMixture):
            raise DistributionError("give lo and hi to integrate a density that is not a Gaussian mixture")
        lo, hi = p.span(12.0)
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo and n >= 3):
        raise DistributionError("integration needs finite bounds lo < hi and at least 3 points")
    x = np.linspace(lo, hi, n)
    return float(np.trapezoid(kl_integrand(p, q, x, base), x))


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte-Carlo estimate and its standard error (sample std / √n)."""

    estimate: float
    stderr: float
    n: int


def kl_monte_carlo(
    p: GaussianMixture, q: Density, rng: np.random.Generator, n: int = 10_000, base: Base = "nats"
) -> MonteCarloEstimate:
    """KL(p‖q) ≈ (1/n) Σ log p(x_i)/q(x_i) with x_i ~ p; unbiased, error shrinks as 1/√n."""
    if n < 2:
        raise DistributionError("a Monte-Carlo estimate needs at least 2 samples")
    x = p.sample(n, rng)
    f = (p.logpdf(x) - q.logpdf(x)) / log_base(base)
    return MonteCarloEstimate(float(np.mean(f)), float(np.std(f, ddof=1) / math.sqrt(n)), n)


@dataclass(frozen=True)
class FitStep:
    """One snapshot of fitting q = N(μ, σ²) to p: the step number, parameters and KL loss (nats)."""

    step: int
    mu: float
    sigma: float
    loss: float


# Gauss–Hermite nodes for E_{ε~N(0,1)}[f(ε)] ≈ Σ w_i f(ε_i); exact for polynomials of degree < 2·60.
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _expect_under_mixture(p: GaussianMixture, f: Callable[[np.ndarray], np.ndarray]) -> float:
    # E_p[f(x)] = Σ_k w_k E_{ε}[f(μ_k + σ_k ε)]
    return float(sum(w * np.dot(_GH_WEIGHTS, f(m + s * _GH_NODES)) for w, m, s in zip(p.weights, p.means, p.sigmas)))


def _kl_and_grad(p: GaussianMixture, direction: Direction, mu: float, sigma: float) -> tuple[float, float, float]:
    """KL and its gradient with respect to (μ, log σ) of q = N(μ, σ²)."""
    q = GaussianMixture.gaussian(mu, sigma)
    if direction == "forward":
        # KL(p‖q) = E_p[log p − log q];  ∂/∂μ = −(E_p[x] − μ)/σ²;  ∂/∂log σ = 1 − E_p[(x − μ)²]/σ²
        loss = _expect_under_mixture(p, lambda x: p.logpdf(x) - q.logpdf(x))
        d_mu = -(_expect_under_mixture(p, lambda x: x) - mu) / sigma**2
        d_log_sigma = 1.0 - _expect_under_mixture(p, lambda x: (x - mu) ** 2) / sigma**2
        return loss, d_mu, d_log_sigma
    # KL(q‖p) = −H(q) − E_q[log p(μ + σε)];  H(q) = ½ log(2πe) + log σ  (reparameterisation trick)
    x = mu + sigma * _GH_NODES
    loss = -(0.5 + _LOG_SQRT_2PI + math.log(sigma)) - float(np.dot(_GH_WEIGHTS, p.logpdf(x)))
    s = p.score(x)
    d_mu = -float(np.dot(_GH_WEIGHTS, s))
    d_log_sigma = -1.0 - float(np.dot(_GH_WEIGHTS, s * sigma * _GH_NODES))
    return loss, d_mu, d_log_sigma


def fit_gaussian(
    p: GaussianMixture,
    direction: Direction,
    steps: int = 300,
    lr: float = 0.1,
    mu0: float = 1.0,
    sigma0: float = 0.5,
) -> Iterator[FitStep]:
    """Fit one Gaussian q to p by gradient descent on KL(p‖q) ("forward") or KL(q‖p) ("reverse").

    Yields a snapshot before the first step and after each step; forward covers all of p's mass,
    reverse seeks the mode nearest the start.
    """
    if direction not in ("forward", "reverse"):
        raise DistributionError(f"direction must be 'forward' or 'reverse', not {direction!r}")
    if sigma0 <= 0 or not math.isfinite(sigma0) or not math.isfinite(mu0):
        raise DistributionError("the starting μ must be finite and the starting σ greater than 0")
    mu, log_sigma = float(mu0), math.log(sigma0)
    for step in range(steps + 1):
        loss, d_mu, d_log_sigma = _kl_and_grad(p, direction, mu, math.exp(log_sigma))
        yield FitStep(step, mu, math.exp(log_sigma), loss)
        # clip the step so a tiny σ early on cannot throw q far away
        mu -= lr * float(np.clip(d_mu, -5.0, 5.0))
        log_sigma -= lr * float(np.clip(d_log_sigma, -5.0, 5.0))
