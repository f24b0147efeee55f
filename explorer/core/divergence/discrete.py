"""Discrete distributions as numpy vectors: entropy, cross-entropy, KL, Jensen–Shannon, and editing them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from explorer.core.divergence.checks import (
    _SMALLEST_NORMAL,
    Base,
    DistributionError,
    _checked,
    _normalise,
    _real,
    _whole,
    log_base,
)

# resize_distribution allocates this many entries at most; the panel shows far fewer
MAX_CATEGORIES = 1000


def _pair(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """p, log p, q, log q, normalised, for two distributions over the same categories."""
    x, y = _checked(p, "p"), _checked(q, "q")
    if x.shape != y.shape:
        raise DistributionError(f"p has {x.size} categories but q has {y.size}")
    p_n, log_p, _ = _normalise(x)
    q_n, log_q, _ = _normalise(y)
    return p_n, log_p, q_n, log_q


def _kl_terms(p_n: np.ndarray, log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """p_i (log p_i − log q_i) in nats: 0 where p_i = 0 (0 log 0 = 0), +∞ where q_i = 0 < p_i.

    Uses log p rather than p for "p_i > 0", so a category whose p_i underflowed still counts.
    """
    has_mass = log_p > -np.inf
    with np.errstate(invalid="ignore"):  # 0·(−∞) and −∞ − (−∞) arise only where p_i = 0, masked out
        terms = np.where(has_mass, p_n * (log_p - log_q), 0.0)
    terms[has_mass & (log_q == -np.inf)] = np.inf
    return terms


def entropy(p: Sequence[float] | np.ndarray, base: Base = "bits") -> float:
    """Shannon entropy H(p) = −Σ p_i log p_i: the average surprise of outcomes drawn from p."""
    p_n, log_p, _ = _normalise(_checked(p, "p"))
    has_mass = log_p > -np.inf  # 0 log 0 = 0
    return float(-np.sum(p_n[has_mass] * log_p[has_mass]) / log_base(base))


def kl_contributions(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits"
) -> np.ndarray:
    """Each category's term p_i log(p_i / q_i) of KL(p‖q); +∞ where q_i = 0 < p_i, 0 where p_i = 0."""
    p_n, log_p, _, log_q = _pair(p, q)
    return _kl_terms(p_n, log_p, log_q) / log_base(base)


def infinite_categories(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray) -> list[int]:
    """Categories (1-based) where q is 0 but p is not: each makes KL(p‖q) and H(p, q) infinite."""
    _, log_p, _, log_q = _pair(p, q)
    return [int(i) + 1 for i in np.flatnonzero((log_q == -np.inf) & (log_p > -np.inf))]


def explain_infinite(
    p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, p_name: str = "p", q_name: str = "q"
) -> str | None:
    """A sentence naming the first category that makes KL(p‖q) infinite, or None if it is finite."""
    cats = infinite_categories(p, q)
    if not cats:
        return None
    p_n = _pair(p, q)[0]
    i = cats[0]
    share = f"{p_n[i - 1]:.3g}" if p_n[i - 1] > 0 else "tiny but not 0"  # p_i can underflow to 0.0
    return f"{q_name} is 0 in category {i} where {p_name} is {share}: KL({p_name}‖{q_name}) is infinite"


def cross_entropy(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits") -> float:
    """Cross-entropy H(p, q) = −Σ p_i log q_i: average code length when data from p is coded for q."""
    p_n, log_p, _, log_q = _pair(p, q)
    has_mass = log_p > -np.inf
    if np.any(has_mass & (log_q == -np.inf)):
        return math.inf
    return float(-np.sum(p_n[has_mass] * log_q[has_mass]) / log_base(base))


def kl_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits") -> float:
    """KL(p‖q) = Σ p_i log(p_i / q_i) = H(p, q) − H(p); ∞ if q is 0 where p is not."""
    return float(np.sum(kl_contributions(p, q, base)))


def js_divergence(p: Sequence[float] | np.ndarray, q: Sequence[float] | np.ndarray, base: Base = "bits") -> float:
    """Jensen–Shannon JS = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2: symmetric, finite, ≤ 1 bit."""
    p_n, log_p, q_n, log_q = _pair(p, q)
    m = 0.5 * (p_n + q_n)
    with np.errstate(divide="ignore"):
        log_m = np.log(m)
    faint = m < _SMALLEST_NORMAL  # m lost precision or underflowed: build log m from log p and log q
    log_m[faint] = np.logaddexp(log_p[faint], log_q[faint]) - math.log(2.0)
    both = np.sum(_kl_terms(p_n, log_p, log_m)) + np.sum(_kl_terms(q_n, log_q, log_m))
    return float(0.5 * both / log_base(base))


def set_probability(p: Sequence[float] | np.ndarray, index: int, value: float) -> np.ndarray:
    """Set p[index] to a finite value (clipped to [0, 1]) and rescale the others so the total stays 1.

    The other categories keep their proportions, taken from p as given so that none is lost to
    underflow; if they are all 0 they share the rest equally.
    """
    x = _checked(p, "p")
    index = _whole(index, "the category's index")
    if not 0 <= index < x.size:
        raise DistributionError(f"there is no category {index + 1}; p has {x.size}")
    v = min(max(_real(value, "the new probability"), 0.0), 1.0)
    rest = np.delete(x, index)
    if rest.size == 0:
        return np.ones(1)
    shares = _normalise(rest)[0] if np.any(rest > 0) else np.full(rest.size, 1.0 / rest.size)
    return np.insert(shares * (1.0 - v), index, v)


def resize_distribution(p: Sequence[float] | np.ndarray, k: int) -> np.ndarray:
    """Change the number of categories to k: new ones get 1/k each, removed ones give their mass back."""
    k = _whole(k, "the number of categories")
    if k < 1:
        raise DistributionError(f"a distribution needs at least one category, not {k}")
    if k > MAX_CATEGORIES:
        raise DistributionError(f"a distribution can have at most {MAX_CATEGORIES} categories, not {k}")
    x = _checked(p, "p")
    if k <= x.size:
        kept = x[:k]  # renormalised from p as given, so tiny kept entries are not lost to underflow
        return _normalise(kept)[0] if np.any(kept > 0) else np.full(k, 1.0 / k)
    added = k - x.size
    return np.concatenate([_normalise(x)[0] * (1.0 - added / k), np.full(added, 1.0 / k)])
