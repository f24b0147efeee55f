"""Fitting one Gaussian q to a mixture p by gradient descent on KL(p‖q) or KL(q‖p)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from explorer.core.divergence.checks import DistributionError, _real, _whole
from explorer.core.divergence.gaussian import _LOG_SQRT_2PI, GaussianMixture

Direction = Literal["forward", "reverse"]


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
    return float(
        sum(w * np.dot(_GH_WEIGHTS, f(m + s * _GH_NODES)) for w, m, s in zip(p.weights, p.means, p.sigmas, strict=True))
    )


def _kl_and_grad(p: GaussianMixture, direction: Direction, mu: float, sigma: float) -> tuple[float, float, float]:
    """KL and its gradient with respect to (μ, log σ) of q = N(μ, σ²).

    Divides by σ twice rather than by σ², which overflows or reaches 0 for extreme σ; what cannot
    be represented comes back as ±∞ or nan for the caller to refuse.
    """
    q = GaussianMixture.gaussian(mu, sigma)
    with np.errstate(all="ignore"):
        if direction == "forward":
            # KL(p‖q) = E_p[log p − log q];  ∂/∂μ = −(E_p[x] − μ)/σ²;  ∂/∂log σ = 1 − E_p[((x − μ)/σ)²]
            loss = _expect_under_mixture(p, lambda x: p.logpdf(x) - q.logpdf(x))
            d_mu = -(_expect_under_mixture(p, lambda x: x) - mu) / sigma / sigma
            d_log_sigma = 1.0 - _expect_under_mixture(p, lambda x: ((x - mu) / sigma) ** 2)
            return loss, d_mu, d_log_sigma
        # KL(q‖p) = −H(q) − E_q[log p(μ + σε)];  H(q) = ½ log(2πe) + log σ  (reparameterisation trick)
        x = mu + sigma * _GH_NODES
        loss = -(0.5 + _LOG_SQRT_2PI + math.log(sigma)) - float(np.dot(_GH_WEIGHTS, p.logpdf(x)))
        if not math.isfinite(loss):  # q sits where p's density underflows: there is no gradient to follow
            return loss, math.nan, math.nan
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
    reverse seeks the mode nearest the start.  The arguments are checked here, at the call; a fit
    whose numbers outgrow floating point stops with a DistributionError saying why.
    """
    if not isinstance(p, GaussianMixture):
        raise DistributionError("the target p must be a GaussianMixture")
    if direction not in ("forward", "reverse"):
        raise DistributionError(f"direction must be 'forward' or 'reverse', not {direction!r}")
    steps = _whole(steps, "the number of steps")
    if steps < 0:
        raise DistributionError(f"the number of steps cannot be negative, not {steps}")
    return _descend(
        p,
        direction,
        steps,
        _real(lr, "the learning rate", positive=True),
        _real(mu0, "the starting μ"),
        _real(sigma0, "the starting σ", positive=True),
    )


def _descend(
    p: GaussianMixture, direction: Direction, steps: int, lr: float, mu: float, sigma: float
) -> Iterator[FitStep]:
    """The gradient steps of ``fit_gaussian`` on (μ, log σ), from checked arguments."""
    log_sigma = math.log(sigma)
    for step in range(steps + 1):
        loss, d_mu, d_log_sigma = _kl_and_grad(p, direction, mu, sigma)
        if not math.isfinite(loss) or math.isnan(d_mu) or math.isnan(d_log_sigma):
            raise DistributionError(
                f"the fit stopped at step {step}: KL between p and q = N({mu:.3g}, {sigma:.3g}²) is too large "
                "for floating-point numbers; start q nearer p"
            )
        yield FitStep(step, mu, sigma, loss)
        # clip the step so a tiny σ early on cannot throw q far away
        mu -= lr * float(np.clip(d_mu, -5.0, 5.0))
        log_sigma -= lr * float(np.clip(d_log_sigma, -5.0, 5.0))
        with np.errstate(over="ignore"):
            sigma = float(np.exp(log_sigma))
        if step < steps and not (math.isfinite(mu) and 0.0 < sigma < math.inf):
            raise DistributionError(
                f"the fit diverged at step {step + 1}: the learning rate {lr:g} threw q's μ or σ past "
                "what floating-point numbers can hold; use a smaller learning rate"
            )
