"""Markov chains: a distribution pushed through a transition matrix, and where it settles.

A row vector π over S states moves by π_{n+1} = π_n P, so π_n = π_0 Pⁿ (P row-stochastic: P_ij = p(j | i)).
A stationary π* satisfies π* = π* P: it is the left eigenvector of P for eigenvalue 1, normalised to sum
to 1; for an irreducible aperiodic chain every π_0 converges to it, at a rate set by the second-largest
eigenvalue modulus |λ₂| (the distance shrinks about as |λ₂|ⁿ).

The DDPM forward process is a Markov chain too, on ℝᴰ: q(x_t | x_{t−1}) = N(√(1−β_t) x_{t−1}, β_t I)
(Ho et al. 2020, eq. 2). It keeps N(0, I) fixed (if x_{t−1} ~ N(0, I) then x_t has variance
(1−β_t) + β_t = 1), and a Gaussian start N(m, v) reaches N(√ᾱ_t m, ᾱ_t v + 1 − ᾱ_t) after t steps.
"""

from __future__ import annotations

import numpy as np

from explorer.core.runtime.errors import DataError

MAX_STATES = 8
ROW_TOLERANCE = 1e-9
# A three-state weather chain (sunny, cloudy, rainy): each day's weather depends only on the day before.
WEATHER_STATES = ("sunny", "cloudy", "rainy")
WEATHER = np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5]])


def check_transition(P: np.ndarray) -> np.ndarray:
    """``P`` as a float64 (S, S) row-stochastic matrix, else DataError saying which row is wrong."""
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or not 1 <= len(P) <= MAX_STATES:
        raise DataError(f"A transition matrix is square with 1 to {MAX_STATES} states, not shape {P.shape}.")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise DataError("Transition probabilities must be finite and ≥ 0.")
    sums = P.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > ROW_TOLERANCE)
    if len(bad):
        raise DataError(f"Row {bad[0] + 1} of P sums to {sums[bad[0]]:.4g}, not 1: each row is p(next | this state).")
    return P


def normalise_rows(P: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (a row of zeros becomes 'stay put'): what the editor applies as one edits."""
    P = np.maximum(np.asarray(P, dtype=np.float64), 0.0)
    sums = P.sum(axis=1, keepdims=True)
    return np.where(sums > 0, P / np.where(sums > 0, sums, 1.0), np.eye(len(P)))


def propagate(pi0: np.ndarray, P: np.ndarray, steps: int) -> np.ndarray:
    """π_0, π_0 P, …, π_0 Pⁿ as rows: (steps + 1, S)."""
    P = check_transition(P)
    out = np.empty((steps + 1, len(P)))
    out[0] = pi0
    for n in range(steps):
        out[n + 1] = out[n] @ P  # π_{n+1} = π_n P
    return out


def stationary(P: np.ndarray) -> np.ndarray:
    """π* with π* P = π*: the left eigenvector of P for the eigenvalue nearest 1, normalised to sum to 1."""
    P = check_transition(P)
    values, vectors = np.linalg.eig(P.T)  # right eigenvectors of Pᵀ are left eigenvectors of P
    v = np.real(vectors[:, int(np.argmin(np.abs(values - 1)))])
    return v / v.sum()


def second_eigenvalue_modulus(P: np.ndarray) -> float:
    """|λ₂|, the second-largest eigenvalue modulus: the rate at which π_n approaches π* (0 for S = 1)."""
    moduli = np.sort(np.abs(np.linalg.eigvals(check_transition(P))))[::-1]
    return float(moduli[1]) if len(moduli) > 1 else 0.0


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """½ Σ |p − q| along the last axis."""
    return 0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum(axis=-1)


def forward_marginals(alphas_cumprod: np.ndarray, mean: float, variance: float) -> tuple[np.ndarray, np.ndarray]:
    """The DDPM forward chain's marginal N(√ᾱ_t m, ᾱ_t v + 1 − ᾱ_t) for every t, starting from N(m, v):
    means and variances (T + 1,), index 0 the start."""
    abar = np.concatenate([[1.0], np.asarray(alphas_cumprod, dtype=np.float64)])
    return np.sqrt(abar) * mean, abar * variance + 1 - abar


def kl_to_standard_normal(mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """KL(N(m, v) ‖ N(0, 1)) = ½ (v + m² − 1 − log v), elementwise, nats."""
    mean, variance = np.asarray(mean), np.asarray(variance)
    return 0.5 * (variance + mean**2 - 1 - np.log(variance))
