"""The maths of explorer.core.divergence: the seed's numbers, closed forms, bounds and bad input."""

import math

import numpy as np
import pytest

from explorer.core.divergence import (
    DistributionError,
    GaussianMixture,
    as_distribution,
    cross_entropy,
    entropy,
    explain_infinite,
    fit_gaussian,
    infinite_categories,
    js_divergence,
    kl_contributions,
    kl_divergence,
    kl_gaussian,
    kl_monte_carlo,
    kl_numeric,
    resize_distribution,
    set_probability,
)

FAIR, BIASED = [0.5, 0.5], [0.2, 0.8]


def test_seed_coin_numbers_in_bits():
    assert entropy(FAIR) == pytest.approx(1.0, abs=1e-12)
    assert entropy(BIASED) == pytest.approx(0.7219, abs=1e-4)
    assert cross_entropy(FAIR, BIASED) == pytest.approx(1.3219, abs=1e-4)


def test_nats_are_bits_times_ln2():
    assert entropy(BIASED, "nats") == pytest.approx(entropy(BIASED, "bits") * math.log(2))
    assert kl_divergence(FAIR, BIASED, "nats") == pytest.approx(kl_divergence(FAIR, BIASED) * math.log(2))


def test_cross_entropy_is_entropy_plus_kl():
    assert cross_entropy(FAIR, BIASED) == pytest.approx(entropy(FAIR) + kl_divergence(FAIR, BIASED))
    assert kl_contributions(FAIR, BIASED).sum() == pytest.approx(kl_divergence(FAIR, BIASED))


def test_kl_nonnegative_and_asymmetric_on_random_example():
    rng = np.random.default_rng(7)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    assert kl_divergence(p, q) > 0
    assert kl_divergence(q, p) > 0
    assert abs(kl_divergence(p, q) - kl_divergence(q, p)) > 1e-3
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)


def test_js_symmetric_and_bounded_by_one_bit():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        assert js_divergence(p, q) == pytest.approx(js_divergence(q, p))
        assert 0.0 <= js_divergence(p, q) <= 1.0
    assert js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]) == pytest.approx(1.0)


def test_zero_in_q_gives_infinity_and_names_the_category():
    p, q = [0.25, 0.25, 0.5], [0.5, 0.5, 0.0]
    assert kl_divergence(p, q) == math.inf
    assert cross_entropy(p, q) == math.inf
    assert infinite_categories(p, q) == [3]
    assert explain_infinite(p, q) == "q is 0 in category 3 where p is 0.5: KL(p‖q) is infinite"
    # the other direction is finite: p's zero categories contribute 0 log 0 = 0
    assert math.isfinite(kl_divergence(q, p))
    assert explain_infinite(q, p) is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.5, -0.1, 0.6], "negative (-0.1) in category 2"),
        ([0.5, float("nan")], "not a number in category 2"),
        ([0.0, 0.0, 0.0], "all zeros"),
        ([], "non-empty"),
        ([0.5, math.inf], "infinite in category 2"),
    ],
)
def test_bad_distributions_are_refused_with_a_message(values, message):
    with pytest.raises(DistributionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        entropy(values)
    with pytest.raises(DistributionError, match="^q "):
        kl_divergence(np.ones(max(len(values), 1)), values)


def test_mismatched_lengths_refused():
    with pytest.raises(DistributionError, match="p has 2 categories but q has 3"):
        kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


def test_unnormalised_input_is_normalised_and_reported():
    values, rescaled = as_distribution([1, 3])
    assert values == pytest.approx([0.25, 0.75])
    assert rescaled
    assert not as_distribution([0.25, 0.75])[1]
    assert entropy([2, 8]) == pytest.approx(entropy(BIASED))


def test_set_probability_keeps_dragged_value_and_rescales_others():
    p = set_probability([0.2, 0.3, 0.5], 0, 0.6)
    assert p == pytest.approx([0.6, 0.15, 0.25])
    assert set_probability([1.0, 0.0, 0.0], 0, 0.4) == pytest.approx([0.4, 0.3, 0.3])
    assert set_probability([0.5, 0.5], 1, 1.7) == pytest.approx([0.0, 1.0])


def test_resize_distribution_keeps_sum_one():
    grown = resize_distribution([0.2, 0.8], 4)
    assert grown == pytest.approx([0.1, 0.4, 0.25, 0.25])
    assert resize_distribution([0.0, 0.0, 1.0], 2) == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (1.0, 0.5), (-2.0, 2.5), (0.3, 0.1)])
def test_gaussian_closed_form_matches_seed_formula_and_numeric(mu, sigma):
    exact = 0.5 * (-math.log(sigma**2) + mu**2 + sigma**2 - 1.0)
    assert kl_gaussian(mu, sigma) == pytest.approx(exact, abs=1e-12)
    numeric = kl_numeric(GaussianMixture.gaussian(mu, sigma), GaussianMixture.gaussian(0.0, 1.0))
    assert numeric == pytest.approx(exact, abs=1e-6)


def test_diagonal_gaussian_kl_is_sum_of_univariate():
    mu_p, s_p = np.array([0.5, -1.0, 2.0]), np.array([0.7, 1.5, 1.0])
    mu_q, s_q = np.array([0.0, 0.2, 1.0]), np.array([1.0, 0.8, 2.0])
    total = sum(kl_gaussian(a, b, c, d, "bits") for a, b, c, d in zip(mu_p, s_p, mu_q, s_q))
    assert kl_gaussian(mu_p, s_p, mu_q, s_q, "bits") == pytest.approx(total)


def test_gaussian_sigma_must_be_positive():
    with pytest.raises(DistributionError, match="σ must be greater than 0"):
        kl_gaussian(0.0, 0.0)
    with pytest.raises(DistributionError, match="σ"):
        GaussianMixture((1.0,), (0.0,), (-1.0,))


def test_monte_carlo_within_four_standard_errors():
    p, q = GaussianMixture.gaussian(1.0, 0.5), GaussianMixture.gaussian(0.0, 1.0)
    mc = kl_monte_carlo(p, q, np.random.default_rng(0), 10_000)
    assert 0 < mc.stderr < 0.05
    assert abs(mc.estimate - kl_gaussian(1.0, 0.5)) < 4 * mc.stderr
    again = kl_monte_carlo(p, q, np.random.default_rng(0), 10_000)
    assert again == mc


def test_mixture_numeric_and_monte_carlo_agree():
    p = GaussianMixture((0.3, 0.7), (-1.0, 2.0), (0.5, 1.0))
    q = GaussianMixture((0.5, 0.5), (0.0, 1.0), (1.0, 2.0))
    numeric = kl_numeric(p, q, base="bits")
    mc = kl_monte_carlo(p, q, np.random.default_rng(1), 20_000, "bits")
    assert numeric > 0
    assert abs(mc.estimate - numeric) < 4 * mc.stderr
    x = np.linspace(-15, 15, 30001)
    assert np.trapezoid(p.pdf(x), x) == pytest.approx(1.0, abs=1e-9)


def test_kl_numeric_needs_bounds_for_other_densities():
    class Laplace:
        def logpdf(self, x):
            return -np.abs(x) - math.log(2.0)

    with pytest.raises(DistributionError, match="give lo and hi"):
        kl_numeric(Laplace(), GaussianMixture.gaussian(0, 1))
    # KL(Laplace(0,1) ‖ N(0,1)) = −log 2 − E|x| + ½log 2π + E[x²]/2 = ½log 2π − log 2
    exact = 0.5 * math.log(2 * math.pi) - math.log(2.0)
    assert kl_numeric(Laplace(), GaussianMixture.gaussian(0, 1), -40, 40, 200001) == pytest.approx(exact, abs=1e-6)


TWO_BUMPS = GaussianMixture((0.5, 0.5), (-2.0, 2.0), (0.6, 0.6))


def test_forward_kl_fit_covers_both_bumps():
    steps = list(fit_gaussian(TWO_BUMPS, "forward", steps=300, lr=0.1, mu0=1.0, sigma0=0.5))
    last = steps[-1]
    assert len(steps) == 301 and last.step == 300
    assert abs(last.mu) < 0.1
    assert last.sigma > 1.5 > max(TWO_BUMPS.sigmas)
    # moment matching: the forward-KL optimum has p's variance 0.6² + 2² = 4.36
    assert last.sigma == pytest.approx(math.sqrt(4.36), abs=0.01)
    assert last.loss < steps[0].loss


def test_reverse_kl_fit_locks_onto_nearer_bump():
    last = list(fit_gaussian(TWO_BUMPS, "reverse", steps=300, lr=0.1, mu0=1.0, sigma0=0.5))[-1]
    assert last.mu == pytest.approx(2.0, abs=0.1)
    assert last.sigma == pytest.approx(0.6, abs=0.05)
    left = list(fit_gaussian(TWO_BUMPS, "reverse", mu0=-1.0, sigma0=0.5))[-1]
    assert left.mu == pytest.approx(-2.0, abs=0.1)


def test_fit_refuses_unknown_direction():
    with pytest.raises(DistributionError, match="forward"):
        next(fit_gaussian(TWO_BUMPS, "sideways"))

