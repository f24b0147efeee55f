"""FID, KID, the Inception Score and the class histogram: closed forms, and how they react to real digits spoilt."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from explorer.core.evaluation.classifier import embed, load_classifier
from explorer.core.evaluation.metrics import (
    class_histogram,
    fid,
    frechet_distance,
    inception_score,
    inception_score_bootstrap,
    kid,
    mmd2_unbiased,
    polynomial_kernel,
)
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.errors import ExplorerError


@pytest.fixture(scope="module")
def judge():
    return load_classifier()[0]


@pytest.fixture(scope="module")
def digits():
    """4,000 test digits in [0, 1] and their labels."""
    test = load_mnist("test")
    return test.floats()[:4000], test.labels[:4000]


@pytest.fixture(scope="module")
def embedded(judge, digits):
    """Features and class probabilities of the 4,000 digits."""
    return embed(judge, digits[0])


@pytest.fixture(scope="module")
def halves(embedded):
    """Features of two disjoint sets of 2,000 real test digits."""
    return embedded[0][:2000], embedded[0][2000:]


def quick_kid(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    return kid(a, b, subsets=20, subset_size=250)


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of (N, 28, 28) images with a 7x7 kernel of standard deviation ``sigma`` pixels."""
    r = torch.arange(-3, 4, dtype=torch.float32)
    k = torch.exp(-(r**2) / (2 * sigma**2))
    kernel = torch.outer(k, k) / k.sum() ** 2
    out = F.conv2d(torch.from_numpy(images)[:, None], kernel[None, None], padding=3)
    return out[:, 0].numpy()


def noised(images: np.ndarray, std: float, seed: int = 0) -> np.ndarray:
    return np.clip(images + np.random.default_rng(seed).normal(0, std, images.shape), 0, 1).astype(np.float32)


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    # For commuting covariances: ||mu1 - mu2||² + sum (sqrt(var1) - sqrt(var2))²
    expected = 1.0 + 4.0 + (1 - 3) ** 2 + (2 - 1) ** 2 + 0.0
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_agrees_with_the_eigenvalues_of_the_unsymmetric_product():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    # Tr((S1 S2)^(1/2)) = sum of the square roots of the (real, positive) eigenvalues of S1 S2
    trace_sqrt = np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_fid_of_a_set_against_itself_is_zero(halves):
    a, _ = halves
    assert fid(a, a) == pytest.approx(0.0, abs=1e-6)
    assert fid(a, a[::-1]) == pytest.approx(0.0, abs=1e-6)  # order does not matter


def test_fid_and_kid_grow_as_the_digits_are_blurred(judge, digits, halves):
    reference, _ = halves
    other = digits[0][2000:3000]
    fids, kids = [], []
    for sigma in (0.5, 1.0, 1.5, 2.5):
        feats = embed(judge, blurred(other, sigma))[0]
        fids.append(fid(feats, reference))
        kids.append(quick_kid(feats, reference)[0])
    real = fid(halves[1][:1000], reference)
    assert real < fids[0] and fids == sorted(fids), (real, fids)
    assert kids == sorted(kids), kids
    assert fids[-1] > 20 * real


def test_fid_and_kid_grow_as_the_digits_are_noised(judge, digits, halves):
    reference, _ = halves
    other = digits[0][2000:3000]
    fids, kids = [], []
    for std in (0.1, 0.2, 0.4, 0.8):
        feats = embed(judge, noised(other, std))[0]
        fids.append(fid(feats, reference))
        kids.append(quick_kid(feats, reference)[0])
    assert fid(halves[1][:1000], reference) < fids[0] and fids == sorted(fids), fids
    assert kids == sorted(kids), kids


def test_kid_of_two_halves_of_the_test_set_averages_zero_and_clearly_different_sets_score_high(
    embedded, digits, halves
):
    a, b = halves
    same, same_std = kid(a, b, subsets=50, subset_size=250)
    labels = digits[1]
    low, high = embedded[0][labels < 5], embedded[0][labels >= 5]
    different, _ = kid(low, high, subsets=50, subset_size=250)
    assert abs(same) < 0.01 * different and abs(same) < 2 * same_std
    assert fid(low, high) > 50 * fid(a, b)


def test_the_unbiased_mmd_averages_zero_where_the_biased_one_does_not():
    rng = np.random.default_rng(1)
    unbiased, biased = [], []
    for _ in range(300):
        x, y = rng.normal(size=(40, 8)), rng.normal(size=(40, 8))
        unbiased.append(mmd2_unbiased(x, y))
        biased.append(
            polynomial_kernel(x, x).mean() + polynomial_kernel(y, y).mean() - 2 * polynomial_kernel(x, y).mean()
        )
    standard_error = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert np.mean(biased) > 10 * standard_error
    assert min(unbiased) < 0  # single estimates can be negative: it is the average that is 0


def test_polynomial_kernel_is_the_cubic_of_the_scaled_dot_product():
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0], [0.0, 0.0]])
    np.testing.assert_allclose(polynomial_kernel(x, y), [[(1 / 2 + 1) ** 3, 1.0]])


def test_inception_score_is_the_number_of_classes_for_confident_even_predictions_and_one_otherwise():
    even = np.eye(10)[np.arange(1000) % 10]
    assert inception_score(even)[0] == pytest.approx(10.0, rel=1e-6)
    assert inception_score(np.eye(10)[np.zeros(1000, int)])[0] == pytest.approx(1.0)  # one class only
    assert inception_score(np.full((1000, 10), 0.1))[0] == pytest.approx(1.0)  # no confidence
    two = np.eye(10)[np.arange(1000) % 2]
    assert inception_score(two, splits=1)[0] == pytest.approx(2.0, rel=1e-6)


def test_the_bootstrap_gives_the_score_of_all_images_and_a_real_spread_at_every_n(embedded):
    probs = embedded[1]
    for n in (50, 200, 999, 4000):  # below 1,000 a single split used to report ± 0.00
        score, spread = inception_score_bootstrap(probs[:n], seed=0)
        assert score == pytest.approx(inception_score(probs[:n], splits=1)[0])
        assert spread > 0.0
    small, large = (inception_score_bootstrap(probs[:n], seed=0)[1] for n in (100, 4000))
    assert small > 5 * large  # a standard error: it shrinks as N grows (between 1/sqrt(N) and 1/N here)
    assert inception_score_bootstrap(probs[:300], seed=1) == inception_score_bootstrap(probs[:300], seed=1)
    even = np.eye(10)[np.arange(1000) % 10]  # resampling unbalances the classes a little: just below 10
    score, spread = inception_score_bootstrap(even)
    assert score == pytest.approx(10.0) and 0.0 < spread < 0.05


def test_real_digits_score_high_and_blurred_ones_lower(judge, digits, embedded):
    real = embedded[1][:1000]
    blurry = embed(judge, blurred(digits[0][:1000], 2.5))[1]
    assert inception_score(real)[0] > 9.0
    assert inception_score(blurry)[0] < inception_score(real)[0]


def test_the_histogram_of_a_one_class_set_is_one_hot(embedded, digits):
    assert class_histogram(np.eye(10)[np.full(50, 3)]).tolist() == [0, 0, 0, 50, 0, 0, 0, 0, 0, 0]
    sevens = digits[1] == 7
    counts = class_histogram(embedded[1][sevens])
    assert counts.sum() == sevens.sum() and counts.argmax() == 7 and counts[7] >= 0.97 * sevens.sum()


def test_bad_inputs_get_a_clear_message():
    with pytest.raises(ExplorerError, match="at least 2"):
        fid(np.zeros((1, 4)), np.zeros((5, 4)))
    with pytest.raises(ExplorerError, match="different widths"):
        kid(np.zeros((5, 4)), np.zeros((5, 3)))
    with pytest.raises(ExplorerError, match="class probabilities"):
        inception_score(np.zeros(10))
