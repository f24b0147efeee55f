"""The notes' ball-drawing example: a bag holds an unknown share θ of red balls; we draw with replacement.

Each draw is a Bernoulli(θ) outcome, so k reds in n draws have likelihood

    p(D | θ) = θ^k (1 − θ)^(n−k),

maximised at θ_ML = k / n. With a Beta(a, b) prior the posterior is Beta(a + k, b + n − k)
(conjugacy), whose mode is the MAP estimate (a + k − 1) / (a + b + n − 2). Maximum likelihood
is also "the θ whose model is closest in KL to the empirical distribution p̂ = (k/n, 1 − k/n)":

    −(1/n) log p(D | θ) = H(p̂, p_θ) = H(p̂) + KL(p̂ ‖ p_θ),

and H(p̂) does not depend on θ, so minimising the cross-entropy minimises the KL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.core.runtime.limits import bounded, validate

MAX_DRAWS = 1000  # the draws a learner can click in; beyond it the curves are spikes anyway


@dataclass(frozen=True)
class BallPrior:
    """The Beta(a, b) prior on θ; a = b = 1 is uniform, so the MAP equals the ML estimate."""

    a: float = bounded(2.0, 0.0, 100.0, low_open=True)  # pseudo-count of reds
    b: float = bounded(2.0, 0.0, 100.0, low_open=True)  # pseudo-count of other balls

    def __post_init__(self) -> None:
        validate(self)


def log_likelihood(theta: np.ndarray, k: int, n: int) -> np.ndarray:
    """log p(D | θ) = k log θ + (n − k) log(1 − θ) on a grid of θ (−∞ where a factor is 0; 0·log 0 = 0)."""
    theta = np.asarray(theta, dtype=np.float64)
    with np.errstate(divide="ignore"):
        red = k * np.log(theta) if k else np.zeros_like(theta)
        other = (n - k) * np.log1p(-theta) if n - k else np.zeros_like(theta)
    return red + other


def beta_log_pdf(theta: np.ndarray, a: float, b: float) -> np.ndarray:
    """log Beta(θ; a, b) = (a−1) log θ + (b−1) log(1−θ) − log B(a, b), on a grid inside (0, 1)."""
    theta = np.asarray(theta, dtype=np.float64)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return (a - 1) * np.log(theta) + (b - 1) * np.log1p(-theta) - log_beta


def binary_entropy(p: float) -> float:
    """H(p) = −p log p − (1−p) log(1−p) in nats (0 at p = 0 or 1)."""
    return -sum(x * math.log(x) for x in (p, 1 - p) if x > 0)


def binary_cross_entropy(p: float, theta: float) -> float:
    """H(p̂, p_θ) = −p log θ − (1−p) log(1−θ) in nats (+∞ where p̂ puts mass where p_θ has none)."""
    total = 0.0
    for mass, model in ((p, theta), (1 - p, 1 - theta)):
        if mass > 0:
            total += math.inf if model <= 0 else -mass * math.log(model)
    return total


def cross_entropy_curve(p: float, theta: np.ndarray) -> np.ndarray:
    """H(p̂, p_θ) over a grid of θ inside (0, 1), nats: the curve whose minimum, H(p̂), sits at θ = p̂."""
    theta = np.asarray(theta, dtype=np.float64)
    red = -p * np.log(theta) if p > 0 else 0.0
    other = -(1 - p) * np.log1p(-theta) if p < 1 else 0.0
    return red + other + np.zeros_like(theta)


@dataclass(frozen=True)
class BallFit:
    """Every number the section shows for k reds in n draws under a Beta(a, b) prior."""

    k: int
    n: int
    a: float
    b: float
    theta_ml: float | None  # k / n; None before any draw
    posterior_a: float  # a + k
    posterior_b: float  # b + n − k
    theta_map: float  # the posterior's mode (an end of [0, 1] where the posterior's density is largest there)
    posterior_mean: float  # (a + k) / (a + b + n)
    log_likelihood_at_ml: float | None  # log p(D | θ_ML)
    empirical_entropy: float | None  # H(p̂), nats
    cross_entropy_at: float | None  # H(p̂, p_θ) at the θ asked for, nats
    kl_at: float | None  # KL(p̂ ‖ p_θ) at that θ, nats
    theta_probe: float  # the θ at which the cross-entropy bar is read


def beta_mode(a: float, b: float) -> float:
    """The mode of Beta(a, b): (a−1)/(a+b−2) when a, b > 1; otherwise the end of [0, 1] where the density
    is largest (∝ θ^(a−1) near 0, (1−θ)^(b−1) near 1); ½ for the uniform Beta(1, 1), where every θ is a mode."""
    if a > 1 and b > 1:
        return (a - 1) / (a + b - 2)
    if a == b == 1:
        return 0.5
    return 0.0 if a < b else 1.0


def fit(draws: tuple[int, ...], prior: BallPrior, theta_probe: float = 0.5) -> BallFit:
    """ML, posterior and MAP for ``draws`` (1 = red, 0 = other), and the KL view read at ``theta_probe``."""
    n = len(draws)
    k = int(sum(draws))
    post_a, post_b = prior.a + k, prior.b + n - k
    ml = k / n if n else None
    if ml is None:
        h = ce = kl = ll = None
    else:
        h = binary_entropy(ml)
        ce = binary_cross_entropy(ml, theta_probe)
        kl = ce - h
        ll = float(log_likelihood(np.array([ml]), k, n)[0])
    return BallFit(
        k,
        n,
        prior.a,
        prior.b,
        ml,
        post_a,
        post_b,
        beta_mode(post_a, post_b),
        post_a / (post_a + post_b),
        ll,
        h,
        ce,
        kl,
        theta_probe,
    )
