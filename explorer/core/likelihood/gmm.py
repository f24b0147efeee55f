"""A K-component Gaussian mixture with full covariances, fitted by EM (Dempster et al. 1977; Bishop §9.2–9.4).

    p(x | θ) = Σ_k π_k N(x | μ_k, Σ_k),      θ = (π, μ, Σ)

EM alternates two steps, each its own function so the view can take one at a time:

    E-step   q(z_n = k) = γ_nk = π_k N(x_n | μ_k, Σ_k) / Σ_j π_j N(x_n | μ_j, Σ_j)   = p(z | x, θ)
    M-step   N_k = Σ_n γ_nk,  π_k = N_k / N,  μ_k = Σ_n γ_nk x_n / N_k,
             Σ_k = Σ_n γ_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k   (its eigenvalues raised to the floor)

and for any q the log-likelihood splits into the ELBO and a gap (Bishop eq. 9.70):

    log p(X | θ) = ELBO(q, θ) + KL(q ‖ p(Z | X, θ)),   ELBO = Σ_n Σ_k γ_nk [log π_k N(x_n | μ_k, Σ_k) − log γ_nk].

The E-step sets q to the posterior, closing the gap; the M-step maximises the ELBO over θ with q held,
so log p(X | θ) never decreases. A component that sits on one point has Σ_k → 0 and its density
(so the likelihood) → ∞: the **variance floor** keeps every eigenvalue of Σ_k ≥ ``floor``, the constrained
maximiser of the M-step (clipping the eigenvalues of the weighted scatter is the exact optimum under
that constraint), so EM stays monotone. A component that loses every point (N_k ≈ 0) keeps its μ, Σ.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from explorer.core.runtime.errors import DataError
from explorer.core.runtime.limits import SEED_MAX, bounded, validate

LOG_2PI = math.log(2 * math.pi)
EMPTY = 1e-10  # N_k below this: the component has no points left, so its μ and Σ stay as they were


@dataclass(frozen=True)
class EMConfig:
    """How EM runs: the number of components, the variance floor, the iterations and the seeded start."""

    components: int = bounded(3, 1, 12)  # K
    floor: float = bounded(1e-3, 1e-6, 1.0)  # the least eigenvalue of any Σ_k, in squared data units
    iterations: int = bounded(100, 1, 10_000)  # E + M pairs
    seed: int = bounded(0, 0, SEED_MAX)  # picks the starting means among the points
    restarts: int = bounded(3, 1, 50)  # fit_mixture keeps the best of this many seeded starts (seed, seed + 1, …)

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class Mixture:
    """θ = (π (K,), μ (K, D), Σ (K, D, D)), float64."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def K(self) -> int:
        return len(self.weights)

    @property
    def D(self) -> int:
        return self.means.shape[1]

    def parameter_count(self) -> int:
        """Free parameters: K−1 weights, K·D means, K·D(D+1)/2 covariance entries (for BIC)."""
        K, D = self.K, self.D
        return K - 1 + K * D + K * D * (D + 1) // 2


def log_components(x: np.ndarray, theta: Mixture) -> np.ndarray:
    """log π_k + log N(x_n | μ_k, Σ_k) for every point and component: (N, D) -> (N, K), via Cholesky factors."""
    chol = np.linalg.cholesky(theta.covariances)  # (K, D, D), Σ_k = L_k L_kᵀ
    diff = x[None, :, :] - theta.means[:, None, :]  # (K, N, D)
    # L_k⁻¹ (x − μ_k) solved per component; the squared norm is the Mahalanobis distance
    solved = np.linalg.solve(chol, diff.transpose(0, 2, 1))  # (K, D, N)
    mahalanobis = np.einsum("kdn,kdn->kn", solved, solved)  # (K, N)
    log_det = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)  # (K,)
    with np.errstate(divide="ignore"):
        log_pi = np.log(theta.weights)
    log_normal = -0.5 * (theta.D * LOG_2PI + log_det[:, None] + mahalanobis)  # (K, N)
    return (log_pi[:, None] + log_normal).T


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log Σ exp(a) along ``axis``, shifted by the maximum so no term overflows."""
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return (top + np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True))).squeeze(axis)


def log_likelihood(x: np.ndarray, theta: Mixture) -> float:
    """log p(X | θ) = Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k), in nats."""
    return float(logsumexp(log_components(x, theta), axis=1).sum())


def point_log_density(x: np.ndarray, theta: Mixture) -> np.ndarray:
    """log p(x_n | θ) per point, (N,): for a density map and for held-out scores."""
    return logsumexp(log_components(x, theta), axis=1)


def e_step(x: np.ndarray, theta: Mixture) -> np.ndarray:
    """q = p(z | x, θ): the responsibilities γ (N, K), each row summing to 1 (Bishop eq. 9.23)."""
    joint = log_components(x, theta)
    return np.exp(joint - logsumexp(joint, axis=1)[:, None])


def m_step(x: np.ndarray, gamma: np.ndarray, theta: Mixture, floor: float) -> Mixture:
    """θ maximising the ELBO for responsibilities γ (Bishop eqs. 9.24–9.27), every Σ_k's eigenvalues ≥ floor.

    ``theta`` supplies μ_k, Σ_k for a component with no points left (N_k < EMPTY)."""
    N, _D = x.shape
    Nk = gamma.sum(axis=0)  # (K,)
    alive = Nk > EMPTY
    safe = np.where(alive, Nk, 1.0)
    means = np.where(alive[:, None], gamma.T @ x / safe[:, None], theta.means)  # (K, D)
    diff = x[None, :, :] - means[:, None, :]  # (K, N, D)
    scatter = np.einsum("nk,knd,kne->kde", gamma, diff, diff) / safe[:, None, None]  # (K, D, D)
    covariances = np.where(alive[:, None, None], _floored(scatter, floor), theta.covariances)
    return Mixture(Nk / N, means, covariances)


def _floored(covariances: np.ndarray, floor: float) -> np.ndarray:
    """Σ with its eigenvalues raised to ``floor``: U max(λ, floor) Uᵀ, (K, D, D)."""
    eigenvalues, vectors = np.linalg.eigh(covariances)
    raised = np.maximum(eigenvalues, floor)
    return np.einsum("kij,kj,klj->kil", vectors, raised, vectors)


def elbo(x: np.ndarray, q: np.ndarray, theta: Mixture) -> float:
    """ELBO(q, θ) = Σ_n Σ_k q_nk [log π_k N(x_n | μ_k, Σ_k) − log q_nk]   (0 · log 0 = 0)."""
    joint = log_components(x, theta)
    safe_q = np.where(q > 0, q, 1.0)
    return float(np.sum(np.where(q > 0, q * (joint - np.log(safe_q)), 0.0)))


def posterior_gap(x: np.ndarray, q: np.ndarray, theta: Mixture) -> float:
    """KL(q ‖ p(Z | X, θ)) = Σ_n Σ_k q_nk log(q_nk / p(z_n = k | x_n, θ)), ≥ 0, zero right after an E-step."""
    joint = log_components(x, theta)
    log_post = joint - logsumexp(joint, axis=1)[:, None]
    safe_q = np.where(q > 0, q, 1.0)
    return float(np.sum(np.where(q > 0, q * (np.log(safe_q) - log_post), 0.0)))


def initial_mixture(x: np.ndarray, K: int, seed: int) -> Mixture:
    """A seeded start: K distinct points as means (k-means++ style, far points likelier), equal weights,
    every Σ_k the data's covariance. Raises DataError when there are fewer distinct points than K."""
    points = np.unique(x, axis=0)
    if len(points) < K:
        raise DataError(f"EM with K = {K} components needs at least {K} distinct points, not {len(points)}.")
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(len(points)))]
    for _ in range(1, K):
        distance = np.min(((points[:, None, :] - points[chosen][None]) ** 2).sum(-1), axis=1)
        chosen.append(int(rng.choice(len(points), p=distance / distance.sum())))
    D = x.shape[1]
    spread = np.atleast_2d(np.cov(x.T)) + 1e-6 * np.eye(D) if len(x) > 1 else np.eye(D)
    return Mixture(np.full(K, 1.0 / K), points[chosen].astype(np.float64), np.repeat(spread[None], K, axis=0))


@dataclass(frozen=True)
class EMSnapshot:
    """Where EM stands after a step: θ, q, and the three numbers of the decomposition."""

    iteration: int  # M-steps done
    step: str  # "start", "E" or "M": the step just taken
    theta: Mixture
    q: np.ndarray  # (N, K) the responsibilities q(z_n = k) held now
    log_likelihood: float  # log p(X | θ)
    elbo: float  # ELBO(q, θ)
    gap: float  # KL(q ‖ p(Z | X, θ)) = log p(X | θ) − ELBO

    @property
    def mean_log_likelihood(self) -> float:
        return self.log_likelihood / len(self.q)


def snapshot(x: np.ndarray, q: np.ndarray, theta: Mixture, iteration: int, step: str) -> EMSnapshot:
    """The decomposition for q and θ, read off one evaluation of the joint log-densities."""
    joint = log_components(x, theta)
    log_px = logsumexp(joint, axis=1)  # (N,)
    safe_q = np.where(q > 0, q, 1.0)
    elbo_value = float(np.sum(np.where(q > 0, q * (joint - np.log(safe_q)), 0.0)))
    ll = float(log_px.sum())
    gap = float(np.sum(np.where(q > 0, q * (np.log(safe_q) - joint + log_px[:, None]), 0.0)))
    return EMSnapshot(iteration, step, theta, q, ll, elbo_value, gap)


def check_points(x: np.ndarray) -> np.ndarray:
    """``x`` as a finite (N, D) float64 array, else DataError with the reason."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise DataError(f"EM needs points as an (N, D) array, not shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise DataError("EM needs finite points; some are nan or infinite.")
    return x


def em(x: np.ndarray, cfg: EMConfig, start: Mixture | None = None) -> Iterator[EMSnapshot]:
    """EM as a generator: the start, then after every E-step and every M-step a snapshot (2·iterations + 1)."""
    x = check_points(x)
    theta = start or initial_mixture(x, cfg.components, cfg.seed)
    q = np.full((len(x), theta.K), 1.0 / theta.K)  # before the first E-step: q uniform, the gap open
    yield snapshot(x, q, theta, 0, "start")
    for iteration in range(1, cfg.iterations + 1):
        q = e_step(x, theta)
        yield snapshot(x, q, theta, iteration - 1, "E")
        theta = m_step(x, q, theta, cfg.floor)
        yield snapshot(x, q, theta, iteration, "M")


def fit_mixture(x: np.ndarray, cfg: EMConfig) -> Mixture:
    """EM from ``cfg.restarts`` seeded starts, ``cfg.iterations`` E + M pairs each, without the snapshots'
    extra work (the CLI's and the K sweep's path); the fit with the highest log-likelihood wins, since EM
    finds a local maximum (one start on the known mixture can merge two of its components)."""
    x = check_points(x)
    best, best_ll = None, -np.inf
    for restart in range(cfg.restarts):
        theta = initial_mixture(x, cfg.components, cfg.seed + restart)
        for _ in range(cfg.iterations):
            theta = m_step(x, e_step(x, theta), theta, cfg.floor)
        ll = log_likelihood(x, theta)
        if best is None or ll > best_ll:
            best, best_ll = theta, ll
    assert best is not None
    return best


def bic(x: np.ndarray, theta: Mixture) -> float:
    """Schwarz's criterion −2 log p(X | θ) + P log N (lower is better), in nats."""
    return -2 * log_likelihood(x, theta) + theta.parameter_count() * math.log(len(x))


def sample_mixture(theta: Mixture, n: int, rng: np.random.Generator) -> np.ndarray:
    """n draws (n, D): z ~ Categorical(π), then x ~ N(μ_z, Σ_z) = μ_z + L_z ε."""
    z = rng.choice(theta.K, size=n, p=theta.weights / theta.weights.sum())
    eps = rng.standard_normal((n, theta.D))
    chol = np.linalg.cholesky(theta.covariances)
    return theta.means[z] + np.einsum("nij,nj->ni", chol[z], eps)


@dataclass(frozen=True)
class KChoice:
    """One K of the model-selection sweep: the fit's BIC on the training points and its held-out NLL."""

    K: int
    bic: float
    held_out_nll: float  # −(1/M) Σ_m log p(x_m | θ) on points EM never saw, nats per point


def choose_k(train: np.ndarray, held_out: np.ndarray, ks: range, cfg: EMConfig) -> Iterator[KChoice]:
    """Fit a mixture for every K in ``ks`` and score it both ways, one K per yield."""
    train, held_out = check_points(train), check_points(held_out)
    for K in ks:
        theta = fit_mixture(train, dataclasses.replace(cfg, components=K))
        yield KChoice(K, bic(train, theta), -float(point_log_density(held_out, theta).mean()))


HELD_OUT = 0.25  # the share of the points the K sweep keeps from EM to score the fits


def sweep_k(x: np.ndarray, cfg: EMConfig, ks: range, held_out: float = HELD_OUT) -> tuple[KChoice, ...]:
    """``choose_k`` on a seeded split of ``x``: a share ``held_out`` of the points is kept from EM to score it."""
    x = check_points(x)
    order = np.random.default_rng(cfg.seed).permutation(len(x))
    cut = round(len(x) * (1 - held_out))
    if cut < max(ks) or cut == len(x):
        raise DataError(f"Choosing K up to {max(ks)} needs more points than {len(x)}: add points first.")
    return tuple(choose_k(x[order[:cut]], x[order[cut:]], ks, cfg))
