"""Entropy, cross-entropy, KL and Jensen–Shannon divergences, Qt-free.

Discrete distributions are numpy vectors; continuous ones are 1-D Gaussian
mixtures.  Every quantity takes ``base``: "bits" (log base 2) or "nats" (log e).

Whatever a learner types is either answered to floating-point accuracy (also for
entries near the largest or the smallest floats) or refused with a
DistributionError that says what is wrong.  No result is nan; a KL is +∞ only
where q is 0 (to floating point) where p is not, and a finite KL too large for a
float is refused rather than shown as ∞.

checks      DistributionError, the units, and the checks of what a learner typed
discrete    entropy, cross-entropy, KL and JS of vectors, and editing a distribution
gaussian    the closed-form KL of Gaussians, and 1-D Gaussian mixtures
estimates   KL of densities on a grid or by Monte Carlo
fitting     one Gaussian fitted to a mixture by forward or reverse KL
"""

from explorer.core.divergence.checks import Base, DistributionError, as_distribution, log_base
from explorer.core.divergence.discrete import (
    MAX_CATEGORIES,
    cross_entropy,
    entropy,
    explain_infinite,
    infinite_categories,
    js_divergence,
    kl_contributions,
    kl_divergence,
    resize_distribution,
    set_probability,
)
from explorer.core.divergence.estimates import (
    Density,
    MonteCarloEstimate,
    StandardDraws,
    kl_integrand,
    kl_monte_carlo,
    kl_numeric,
)
from explorer.core.divergence.fitting import Direction, FitStep, fit_gaussian
from explorer.core.divergence.gaussian import GaussianMixture, kl_gaussian

__all__ = [
    "MAX_CATEGORIES",
    "Base",
    "Density",
    "Direction",
    "DistributionError",
    "FitStep",
    "GaussianMixture",
    "MonteCarloEstimate",
    "StandardDraws",
    "as_distribution",
    "cross_entropy",
    "entropy",
    "explain_infinite",
    "fit_gaussian",
    "infinite_categories",
    "js_divergence",
    "kl_contributions",
    "kl_divergence",
    "kl_gaussian",
    "kl_integrand",
    "kl_monte_carlo",
    "kl_numeric",
    "log_base",
    "resize_distribution",
    "set_probability",
]
