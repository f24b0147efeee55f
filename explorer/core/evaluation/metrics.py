"""How good are generated images? Distances between feature distributions, and a classifier's verdict.

All three scores were defined with an ImageNet Inception net; here the features
(N, d) and the class probabilities p(y|x) (N, K) come from the project's MNIST
classifier (``explorer.core.evaluation.classifier``), so the numbers are comparable between
this project's models, not with published Inception figures.
"""

from __future__ import annotations

import numpy as np

from explorer.core.runtime.errors import ExplorerError


def _check_features(*arrays: np.ndarray) -> None:
    for a in arrays:
        if a.ndim != 2 or len(a) < 2:
            raise ExplorerError(f"Metrics need at least 2 feature vectors (an (N, d) array), not shape {a.shape}.")
    if len({a.shape[1] for a in arrays}) > 1:
        raise ExplorerError(f"Feature sets of different widths cannot be compared: {[a.shape[1] for a in arrays]}.")


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and unbiased covariance (d, d) of (N, d) features, in float64."""
    x = np.asarray(features, dtype=np.float64)
    _check_features(x)
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix, by eigen-decomposition;
    eigenvalues that rounding made slightly negative count as 0."""
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(eigenvalues.clip(min=0.0))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein²) distance between N(mu1, sigma1) and N(mu2, sigma2):

        ||mu1 - mu2||² + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)).

    sigma1 sigma2 is not symmetric, but it is similar to the symmetric PSD matrix
    A = sigma1^(1/2) sigma2 sigma1^(1/2), so Tr((sigma1 sigma2)^(1/2)) = sum of sqrt(eig(A)):
    two symmetric eigen-decompositions, no complex round-off to discard.
    """
    root1 = _sqrt_psd(sigma1)
    a = root1 @ sigma2 @ root1  # (d, d), symmetric PSD
    trace_sqrt = np.sqrt(np.linalg.eigvalsh((a + a.T) / 2).clip(min=0.0)).sum()
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    return max(value, 0.0)  # a distance; rounding can leave -1e-12 for identical sets


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet Inception Distance (Heusel et al., 2017, "GANs trained by a two time-scale update
    rule converge to a local Nash equilibrium"): the Fréchet distance between Gaussians fitted
    to the two sets of features. 0 for identical sets; biased upwards for small N, so compare
    scores computed with the same N."""
    _check_features(features_a, features_b)
    return frechet_distance(*gaussian_fit(features_a), *gaussian_fit(features_b))


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Mean Euclidean distance between the N(N-1) ordered pairs of distinct rows of (N, d) features:
    a spread of the set, 0 when every image looks the same to the classifier."""
    x = np.asarray(features, dtype=np.float64)
    _check_features(x)
    sq = np.sum(x * x, axis=1)  # (N,)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0, None)  # (N, N) squared distances
    np.fill_diagonal(d2, 0.0)
    n = len(x)
    return float(np.sqrt(d2).sum() / (n * (n - 1)))


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x·y / d + 1)³ for every pair of rows: (N, d), (M, d) -> (N, M)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased estimate of MMD²(P, Q) with the cubic polynomial kernel (Gretton et al., 2012, eq. 3):
    mean k(x, x') over pairs of distinct x's, plus the same for y, minus twice the mean k(x, y).
    It averages to 0 when P = Q, and single estimates may be negative."""
    m, n = len(x), len(y)
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2.0 * kxy.mean()
    )


def kid(
    features_a: np.ndarray, features_b: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception Distance (Bińkowski et al., 2018, "Demystifying MMD GANs", section 4):
    the unbiased MMD² with k(x, y) = (x·y/d + 1)³, averaged over ``subsets`` random subsets of
    ``subset_size`` (or fewer, if a set is smaller) from each set; returns (mean, std over subsets).
    Unlike FID it is unbiased, so it is comparable across N."""
    a, b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    _check_features(a, b)
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    estimates = [
        mmd2_unbiased(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
        for _ in range(subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))


def inception_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """Inception Score (Salimans et al., 2016, "Improved techniques for training GANs", section 4):
    exp(E_x KL(p(y|x) || p(y))), with p(y) the mean prediction over the split. High when each
    image is classified with confidence (low entropy p(y|x)) and all classes occur (high entropy
    p(y)); between 1 and the number of classes. Returns (mean, std) over ``splits`` equal parts."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or len(p) == 0:
        raise ExplorerError(f"The score needs (N, K) class probabilities, not shape {p.shape}.")
    scores = []
    for part in np.array_split(p, min(splits, len(p))):
        marginal = part.mean(axis=0, keepdims=True)  # p(y), (1, K)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)  # (n,)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def inception_score_bootstrap(probs: np.ndarray, resamples: int = 100, seed: int = 0) -> tuple[float, float]:
    """The Inception Score of all N images (one split) and its standard error: the std of the score
    over ``resamples`` bootstrap resamples (N images drawn with replacement). Unlike the std over
    splits, it is a real spread at every N, even where N is too small to split."""
    p = np.asarray(probs, dtype=np.float64)
    score, _ = inception_score(p, splits=1)
    rng = np.random.default_rng(seed)
    resampled = [inception_score(p[rng.integers(0, len(p), len(p))], splits=1)[0] for _ in range(resamples)]
    return score, float(np.std(resampled))


def class_histogram(probs: np.ndarray) -> np.ndarray:
    """How many images the classifier assigns to each class (argmax of p(y|x)): int64 (K,).
    A model that dropped modes leaves some digits (nearly) empty."""
    p = np.asarray(probs)
    return np.bincount(p.argmax(axis=1), minlength=p.shape[1]).astype(np.int64)
