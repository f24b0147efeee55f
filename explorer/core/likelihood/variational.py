"""Variational inference on a 2-D posterior known exactly: fit q(z) = N(μ, Σ) by maximising the ELBO.

The model: a prior p(z) that is a Gaussian mixture in the plane and one observation x ~ N(z, σ² I). Then

    p(z | x) = Σ_j w'_j N(z | m'_j, S'_j),   S'_j = (S_j⁻¹ + I/σ²)⁻¹,   m'_j = S'_j (S_j⁻¹ m_j + x/σ²),
    w'_j ∝ w_j N(x | m_j, S_j + σ² I),        log p(x) = log Σ_j w_j N(x | m_j, S_j + σ² I),

all in closed form, so the gap of the bound can be shown exactly (Blei et al. 2017, eq. 13):

    log p(x) = ELBO(q) + KL(q(z) ‖ p(z | x)),   ELBO(q) = E_q[log p(x, z)] + H(q).

E_q[log p(x, z)] is taken by Gauss–Hermite quadrature at z = μ + L ξ (exact when p(x, z) is Gaussian in z),
differentiable in μ and L, so Adam climbs the ELBO. Minimising KL(q ‖ p) is the *reverse* KL: on a
two-mode posterior q locks onto one mode. A VAE's encoder does the same fit for every x at once
(amortised inference), which is why its ELBO sits below log p(x) by the same gap.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.likelihood.adam import Adam
from explorer.core.likelihood.gmm import Mixture, point_log_density
from explorer.core.runtime.limits import bounded, one_of, validate

PRIORS = ("gaussian", "correlated", "two modes")
FAMILIES = ("full", "diagonal")
QUADRATURE_NODES = 20  # per axis: 400 nodes for E_q[log p(x, z)]


@dataclass(frozen=True)
class VIConfig:
    """The prior, the observation noise σ, q's family (full covariance or mean-field) and Adam's rate."""

    prior: str = one_of("two modes", PRIORS)
    noise: float = bounded(1.0, 0.1, 5.0)  # σ of x ~ N(z, σ² I)
    family: str = one_of("full", FAMILIES)
    lr: float = bounded(0.05, 1e-4, 1.0)

    def __post_init__(self) -> None:
        validate(self)


def prior_mixture(name: str) -> Mixture:
    """The prior p(z) named ``name`` as a mixture: one standard Gaussian, one correlated (ρ = 0.9), or two modes."""
    eye = np.eye(2)
    if name == "gaussian":
        return Mixture(np.ones(1), np.zeros((1, 2)), eye[None].copy())
    if name == "correlated":
        return Mixture(np.ones(1), np.zeros((1, 2)), np.array([[[1.0, 0.9], [0.9, 1.0]]]))
    return Mixture(np.array([0.5, 0.5]), np.array([[-2.0, 0.0], [2.0, 0.0]]), np.repeat(0.5 * eye[None], 2, axis=0))


def exact_posterior(prior: Mixture, x: np.ndarray, noise: float) -> tuple[Mixture, float]:
    """p(z | x) as a mixture and log p(x), in closed form (module docstring)."""
    R = noise**2 * np.eye(2)
    S_inv = np.linalg.inv(prior.covariances)  # (J, 2, 2)
    S_post = np.linalg.inv(S_inv + np.linalg.inv(R)[None])  # (J, 2, 2)
    m_post = np.einsum("jab,jb->ja", S_post, np.einsum("jab,jb->ja", S_inv, prior.means) + x / noise**2)
    evidence = Mixture(prior.weights, prior.means, prior.covariances + R[None])  # x's marginal: N(m_j, S_j + R)
    log_terms = np.log(prior.weights) + _log_normals(x, evidence)
    log_px = float(np.logaddexp.reduce(log_terms))
    return Mixture(np.exp(log_terms - log_px), m_post, S_post), log_px


def _log_normals(x: np.ndarray, theta: Mixture) -> np.ndarray:
    """log N(x | μ_j, Σ_j) for each component j, (J,)."""
    single = [
        float(point_log_density(x[None], Mixture(np.ones(1), theta.means[j : j + 1], theta.covariances[j : j + 1]))[0])
        for j in range(theta.K)
    ]
    return np.array(single)


def plane_density(points: np.ndarray, theta: Mixture) -> np.ndarray:
    """p(z) of a 2-D mixture at ``points`` (N, 2) -> (N,), for the view's heat map: each 2×2 Σ_k⁻¹ is written
    out (a, b; b, c)/|Σ_k|, so the Mahalanobis distance is a few array operations where a batched solve per
    point costs several times more on the 14,641 points of the map."""
    dx = points[:, 0, None] - theta.means[None, :, 0]  # (N, K)
    dy = points[:, 1, None] - theta.means[None, :, 1]
    cov = theta.covariances
    det = cov[:, 0, 0] * cov[:, 1, 1] - cov[:, 0, 1] ** 2  # (K,)
    mahalanobis = (cov[:, 1, 1] * dx**2 - 2 * cov[:, 0, 1] * dx * dy + cov[:, 0, 0] * dy**2) / det
    return np.exp(-0.5 * mahalanobis) @ (theta.weights / (2 * math.pi * np.sqrt(det)))


def kl_gaussians(mu0: np.ndarray, cov0: np.ndarray, mu1: np.ndarray, cov1: np.ndarray) -> float:
    """KL(N(μ0, Σ0) ‖ N(μ1, Σ1)) = ½[tr(Σ1⁻¹Σ0) + (μ1−μ0)ᵀΣ1⁻¹(μ1−μ0) − D + log |Σ1|/|Σ0|]."""
    inv1 = np.linalg.inv(cov1)
    d = mu1 - mu0
    return 0.5 * float(
        np.trace(inv1 @ cov0) + d @ inv1 @ d - len(mu0) + np.linalg.slogdet(cov1)[1] - np.linalg.slogdet(cov0)[1]
    )


@functools.cache  # the same nodes for every fit: a new x builds a new fit
def _hermite_nodes(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Gauss–Hermite nodes ξ (n², 2) and weights (n²,) for E over N(0, I) in 2-D (probabilists' form)."""
    t, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    xi = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    weights = np.outer(w, w).reshape(-1)
    return torch.from_numpy(xi), torch.from_numpy(weights)


@dataclass(frozen=True)
class VISnapshot:
    """q after a step and the three numbers of the decomposition, in nats."""

    step: int
    mu: np.ndarray  # (2,)
    cov: np.ndarray  # (2, 2) Σ = L Lᵀ
    elbo: float
    log_px: float  # log p(x), exact
    gap: float  # log p(x) − ELBO = KL(q ‖ p(z | x))


class VariationalFit:
    """q = N(μ, L Lᵀ) and Adam on −ELBO; ``step()`` takes one gradient step (the view's Step and Play)."""

    def __init__(self, cfg: VIConfig, x: np.ndarray, mu0: np.ndarray | None = None, sigma0: float = 1.0) -> None:
        self.cfg = cfg
        self.x = np.asarray(x, dtype=np.float64)
        self.prior = prior_mixture(cfg.prior)
        self.posterior, self.log_px = exact_posterior(self.prior, self.x, cfg.noise)
        self.steps = 0
        start = np.zeros(2) if mu0 is None else np.asarray(mu0, dtype=np.float64)
        self.mu = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        self.log_diag = torch.full((2,), math.log(sigma0), dtype=torch.float64, requires_grad=True)
        self.off = torch.zeros(1, dtype=torch.float64, requires_grad=cfg.family == "full")
        params = [self.mu, self.log_diag] + ([self.off] if cfg.family == "full" else [])
        self.optimizer = Adam(params, lr=cfg.lr)
        self._xi, self._w = _hermite_nodes(QUADRATURE_NODES)
        self._prior_t = [
            torch.from_numpy(a)
            for a in (
                np.log(self.prior.weights),
                self.prior.means,
                np.linalg.inv(self.prior.covariances),
                np.linalg.slogdet(self.prior.covariances)[1],
            )
        ]

    def _chol(self) -> torch.Tensor:
        d = torch.exp(self.log_diag)
        zero = torch.zeros(1, dtype=torch.float64)
        return torch.stack([torch.cat([d[:1], zero]), torch.cat([self.off, d[1:]])])  # (2, 2) lower

    def _log_joint(self, z: torch.Tensor) -> torch.Tensor:
        """log p(x, z) = log p(x | z) + log p(z) at nodes z (M, 2) -> (M,)."""
        log_w, means, inv, logdet = self._prior_t
        d = z[:, None, :] - means[None]  # (M, J, 2)
        quad = torch.einsum("mja,jab,mjb->mj", d, inv, d)
        log_prior = torch.logsumexp(log_w - 0.5 * (2 * math.log(2 * math.pi) + logdet + quad), dim=1)
        x = torch.from_numpy(self.x)
        s2 = self.cfg.noise**2
        log_lik = -0.5 * (2 * math.log(2 * math.pi * s2) + ((x - z) ** 2).sum(1) / s2)
        return log_lik + log_prior

    def elbo(self) -> torch.Tensor:
        """ELBO(q) = E_q[log p(x, z)] + H(q), H(N(μ, LLᵀ)) = log 2πe + Σ log L_ii (2-D)."""
        L = self._chol()
        z = self.mu[None] + self._xi @ L.T  # (M, 2) nodes of q
        expected = (self._w * self._log_joint(z)).sum()
        entropy = math.log(2 * math.pi * math.e) + self.log_diag.sum()
        return expected + entropy

    def snapshot(self) -> VISnapshot:
        with torch.no_grad():
            value = float(self.elbo())
            L = self._chol().numpy()
        return VISnapshot(self.steps, self.mu.detach().numpy().copy(), L @ L.T, value, self.log_px, self.log_px - value)

    def step(self) -> VISnapshot:
        """One Adam step up the ELBO (reparameterised through the quadrature nodes)."""
        return self.climb(1)

    def climb(self, steps: int) -> VISnapshot:
        """``steps`` Adam steps, then one snapshot: a view shows only where the climb ends."""
        for _ in range(steps):
            self.optimizer.zero_grad()
            (-self.elbo()).backward()
            self.optimizer.step()
            self.steps += 1
        return self.snapshot()
