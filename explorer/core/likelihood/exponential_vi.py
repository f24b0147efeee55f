"""The notes' 1-D toy of variational inference: an exponential prior, Gaussian observations, and q fitted
by the ELBO on the prior's support z ≥ 0.

    p(z) = λ e^{−λz} (z ≥ 0),   p(x_i | z) = N(x_i; z, σ²),  i = 1..n.

Completing the square in z, the posterior is a Gaussian truncated to z ≥ 0:

    p(z | x) = N(z; μ_n, s_n²) 1[z ≥ 0] / Φ(μ_n / s_n),   s_n² = σ²/n,   μ_n = x̄ − λσ²/n,

and log p(x) = log ∫₀^∞ p(z) Π_i p(x_i | z) dz is taken by Gauss–Legendre quadrature where the integrand
lives (the closed form with Φ checks it in the tests). So log p(x) = ELBO(q) + KL(q ‖ p(z | x)) can be
shown with all three terms computed separately (Blei et al. 2017, eq. 13).

q must live where p(z) does: a Gaussian N(m, s²) puts Φ(−m/s) of its mass on z < 0, where log p(z) = −∞,
so its ELBO is −∞ for every m and s. Two families respect the support:
- log-normal, z = e^u with u ~ N(m, s²): never the posterior's shape, so a gap stays;
- N(m, s²) truncated to z ≥ 0: the posterior's own family, so the fit closes the gap.

ELBO(q) = E_q[log p(z)] + Σ_i E_q[log p(x_i | z)] + H(q) is in closed form from E_q[z], E_q[z²] and H(q):
E_q[log p(z)] = log λ − λ E_q[z],  E_q[log p(x_i | z)] = −½ log 2πσ² − (x_i² − 2 x_i E_q[z] + E_q[z²]) / 2σ².
Adam climbs it by the gradient of that closed form (autograd: exact, no sampling noise).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.likelihood.adam import Adam
from explorer.core.runtime.errors import DataError
from explorer.core.runtime.limits import bounded, one_of, validate

FAMILIES = ("log-normal", "truncated normal")
MAX_OBSERVATIONS = 30
NODES = 400  # Gauss–Legendre nodes for each integral
REACH = 12.0  # an integral runs over the standard deviations where the integrand is above e^{-72} of its peak
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class ToyConfig:
    """The prior's rate λ, the noise σ of each observation, q's family and Adam's rate."""

    rate: float = bounded(1.0, 0.1, 5.0)  # λ of p(z) = λ e^{−λz}
    noise: float = bounded(1.0, 0.2, 3.0)  # σ of x_i ~ N(z, σ²)
    family: str = one_of("log-normal", FAMILIES)
    lr: float = bounded(0.05, 1e-4, 1.0)

    def __post_init__(self) -> None:
        validate(self)


def check_observations(xs: tuple[float, ...]) -> np.ndarray:
    """The observations as an array, refused in one line when there are none or too many."""
    if not 1 <= len(xs) <= MAX_OBSERVATIONS:
        raise DataError(f"The toy takes 1 to {MAX_OBSERVATIONS} observations x, not {len(xs)}.")
    return np.asarray(xs, dtype=np.float64)


@dataclass(frozen=True)
class Posterior:
    """p(z | x) = N(μ_n, s_n²) truncated to z ≥ 0 (module docstring)."""

    mean: float  # μ_n = x̄ − λσ²/n
    sd: float  # s_n = σ/√n

    @property
    def log_mass(self) -> float:
        """log Φ(μ_n / s_n): the share of N(μ_n, s_n²) on z ≥ 0, the truncation's normaliser."""
        return _log_ndtr(self.mean / self.sd)

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """log p(z | x), −∞ for z < 0."""
        z = np.asarray(z, dtype=np.float64)
        inside = -0.5 * ((z - self.mean) / self.sd) ** 2 - 0.5 * LOG_2PI - math.log(self.sd) - self.log_mass
        return np.where(z >= 0, inside, -np.inf)


def posterior(cfg: ToyConfig, xs: np.ndarray) -> Posterior:
    n = len(xs)
    return Posterior(float(xs.mean() - cfg.rate * cfg.noise**2 / n), cfg.noise / math.sqrt(n))


def log_joint(cfg: ToyConfig, xs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log p(z) + Σ_i log p(x_i | z) at each z ≥ 0."""
    z = np.asarray(z, dtype=np.float64)
    s2 = cfg.noise**2
    log_lik = -0.5 * len(xs) * (LOG_2PI + math.log(s2)) - ((xs[None, :] - z[:, None]) ** 2).sum(1) / (2 * s2)
    return math.log(cfg.rate) - cfg.rate * z + log_lik


@functools.cache
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def _nodes(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and log weights on [low, high]."""
    t, w = _legendre(NODES)
    half = 0.5 * (high - low)
    return low + half * (t + 1), np.log(w * half)


def _truncated_range(mean: float, sd: float) -> tuple[float, float]:
    """Where N(mean, sd²) on z ≥ 0 is above e^{−REACH²/2} of its peak (at max(mean, 0))."""
    peak = max(mean, 0.0)
    high = mean + math.sqrt((peak - mean) ** 2 + (REACH * sd) ** 2)
    return max(0.0, mean - REACH * sd), high


def log_evidence(cfg: ToyConfig, xs: np.ndarray) -> float:
    """log p(x) = log ∫₀^∞ p(z) Π p(x_i | z) dz by quadrature over where the posterior lives."""
    post = posterior(cfg, xs)
    z, log_w = _nodes(*_truncated_range(post.mean, post.sd))
    return float(np.logaddexp.reduce(log_w + log_joint(cfg, xs, z)))


def log_evidence_closed_form(cfg: ToyConfig, xs: np.ndarray) -> float:
    """The same integral in closed form: the Gaussian in z integrated over z ≥ 0 gives √(2π) s_n Φ(μ_n/s_n)."""
    n, s2 = len(xs), cfg.noise**2
    post = posterior(cfg, xs)
    mean = xs.mean()
    constant = math.log(cfg.rate) - 0.5 * n * (LOG_2PI + math.log(s2)) - ((xs - mean) ** 2).sum() / (2 * s2)
    constant -= n * (mean**2 - post.mean**2) / (2 * s2)
    return float(constant + 0.5 * LOG_2PI + math.log(post.sd) + post.log_mass)


def _log_ndtr(a: float) -> float:
    """log Φ(a), accurate far in the left tail."""
    return float(torch.special.log_ndtr(torch.tensor(a, dtype=torch.float64)))


# ---- q and its ELBO ---------------------------------------------------------------------------------
def _moments(family: str, m: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """E_q[z], E_q[z²] and H(q) in closed form, differentiable in m and s."""
    if family == "log-normal":
        return torch.exp(m + s**2 / 2), torch.exp(2 * m + 2 * s**2), m + 0.5 * (LOG_2PI + 1) + torch.log(s)
    alpha = -m / s  # the truncation point in standard units
    log_mass = torch.special.log_ndtr(-alpha)  # log Z, Z = Φ(m/s)
    ratio = torch.exp(-0.5 * alpha**2 - 0.5 * LOG_2PI - log_mass)  # r = φ(α)/Z
    mean = m + s * ratio
    var = s**2 * (1 + alpha * ratio - ratio**2)
    entropy = 0.5 * (LOG_2PI + 1) + torch.log(s) + log_mass + 0.5 * alpha * ratio
    return mean, var + mean**2, entropy


def elbo(cfg: ToyConfig, xs: np.ndarray, m: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """ELBO(q) = log λ − λE[z] + Σ_i (−½ log 2πσ² − (x_i² − 2x_iE[z] + E[z²])/2σ²) + H(q) (module docstring)."""
    ez, ez2, entropy = _moments(cfg.family, m, s)
    s2, n = cfg.noise**2, len(xs)
    expected_lik = -0.5 * n * (LOG_2PI + math.log(s2)) - (float((xs**2).sum()) - 2 * float(xs.sum()) * ez + n * ez2) / (
        2 * s2
    )
    return math.log(cfg.rate) - cfg.rate * ez + expected_lik + entropy


def elbo_value(cfg: ToyConfig, xs: np.ndarray, m: float, s: float) -> float:
    t = torch.tensor
    return float(elbo(cfg, xs, t(m, dtype=torch.float64), t(s, dtype=torch.float64)))


def q_log_density(family: str, m: float, s: float, z: np.ndarray) -> np.ndarray:
    """log q(z), −∞ for z ≤ 0 (log-normal) or z < 0 (truncated normal)."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == "log-normal":
            u = np.log(np.where(z > 0, z, 1.0))
            inside = -0.5 * ((u - m) / s) ** 2 - 0.5 * LOG_2PI - math.log(s) - u
            return np.where(z > 0, inside, -np.inf)
        inside = -0.5 * ((z - m) / s) ** 2 - 0.5 * LOG_2PI - math.log(s) - _log_ndtr(m / s)
        return np.where(z >= 0, inside, -np.inf)


def kl_to_posterior(cfg: ToyConfig, xs: np.ndarray, m: float, s: float) -> float:
    """KL(q ‖ p(z | x)) = ∫ q log(q / p(z | x)) by quadrature over where q lives: for the log-normal in
    u = log z (where q is the Gaussian N(m, s²)), for the truncated normal in z."""
    post = posterior(cfg, xs)
    if cfg.family == "log-normal":
        u, log_w = _nodes(m - REACH * s, m + 2 * s**2 + REACH * s)  # q·z² peaks 2s² above m
        log_q_u = -0.5 * ((u - m) / s) ** 2 - 0.5 * LOG_2PI - math.log(s)
        integrand = log_q_u - u - post.log_density(np.exp(u))  # log q(z) = log q_u(u) − u
        return float(np.sum(np.exp(log_w + log_q_u) * integrand))
    z, log_w = _nodes(*_truncated_range(m, s))
    log_q = q_log_density(cfg.family, m, s, z)
    return float(np.sum(np.exp(log_w + log_q) * (log_q - post.log_density(z))))


def mass_below_zero(m: float, s: float) -> float:
    """Φ(−m/s): what an untruncated N(m, s²) would put on z < 0, where p(z) = 0 and its ELBO is −∞."""
    return 0.5 * math.erfc(m / (s * math.sqrt(2)))


# ---- the fit ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToySnapshot:
    """q after a step and the three terms of the decomposition, each computed on its own, in nats."""

    step: int
    m: float
    s: float
    elbo: float  # closed form
    kl: float  # KL(q ‖ p(z | x)) by quadrature
    log_px: float  # log p(x) by quadrature


class ToyFit:
    """q's parameters (m, log s) and Adam on −ELBO; ``climb(k)`` takes k steps (the view's Step and Play)."""

    def __init__(self, cfg: ToyConfig, xs: tuple[float, ...], m0: float = 0.0, s0: float = 1.0) -> None:
        self.cfg = cfg
        self.xs = check_observations(xs)
        self.posterior = posterior(cfg, self.xs)
        self.log_px = log_evidence(cfg, self.xs)
        self.steps = 0
        self.m = torch.tensor(float(m0), dtype=torch.float64, requires_grad=True)
        self.log_s = torch.tensor(math.log(s0), dtype=torch.float64, requires_grad=True)
        self.optimizer = Adam([self.m, self.log_s], lr=cfg.lr)

    def snapshot(self) -> ToySnapshot:
        m, s = self.m.item(), math.exp(self.log_s.item())
        value = elbo_value(self.cfg, self.xs, m, s)
        return ToySnapshot(self.steps, m, s, value, kl_to_posterior(self.cfg, self.xs, m, s), self.log_px)

    def climb(self, steps: int) -> ToySnapshot:
        """``steps`` Adam steps up the closed-form ELBO, then one snapshot."""
        for _ in range(steps):
            self.optimizer.zero_grad()
            (-elbo(self.cfg, self.xs, self.m, torch.exp(self.log_s))).backward()
            self.optimizer.step()
            self.steps += 1
        return self.snapshot()
