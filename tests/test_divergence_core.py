"""The maths of explorer.core.divergence: the seed's numbers, closed forms, bounds and bad input."""

import math
from dataclasses import dataclass

import numpy as np
import pytest

from explorer.core.divergence import (
    DistributionError,
    GaussianMixture,
    MonteCarloEstimate,
    StandardDraws,
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
    kl_integrand,
    kl_monte_carlo,
    kl_numeric,
    log_base,
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
    with pytest.raises(DistributionError, match=r"^q "):
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
    total = sum(kl_gaussian(a, b, c, d, "bits") for a, b, c, d in zip(mu_p, s_p, mu_q, s_q, strict=True))
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


def test_standard_draws_give_the_generators_estimate_and_the_mixtures_weights():
    """Draws made once from U(0, 1) and N(0, 1) (a slider's common random numbers) are the mixture's own:
    the same estimate as drawing from the same generator, each component drawn at its weight."""
    p = GaussianMixture((0.2, 0.5, 0.3), (-4.0, 0.0, 4.0), (0.3, 0.3, 0.3))
    q = GaussianMixture.gaussian(0.0, 2.0)
    draws = StandardDraws.of(np.random.default_rng(3), 20_000)
    assert kl_monte_carlo(p, q, draws, 20_000) == kl_monte_carlo(p, q, np.random.default_rng(3), 20_000)
    x = p.transform(draws.uniform, draws.normal)
    shares = [np.mean(x < -2), np.mean(np.abs(x) < 2), np.mean(x > 2)]
    assert shares == pytest.approx([0.2, 0.5, 0.3], abs=0.015)
    with pytest.raises(DistributionError, match="20001 samples asked of 20000"):
        kl_monte_carlo(p, q, draws, 20_001)


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


@dataclass(frozen=True)
class Refused:
    """A row's expected outcome: a DistributionError whose message matches ``pattern`` (a regex)."""

    pattern: str


def close(value: float | list[float], rel: float = 1e-12) -> object:
    """Equal to ``value`` up to rounding (or, for the numeric integral, to its quadrature error)."""
    return pytest.approx(value, rel=rel, abs=0.0)


NAN, INF = math.nan, math.inf
G = GaussianMixture.gaussian
# log p(1) for TWO_BUMPS = ½N(−2, 0.6²) + ½N(2, 0.6²), by hand
LOG_TWO_BUMPS_AT_1 = math.log(
    0.5 * (math.exp(-0.5 * (3 / 0.6) ** 2) + math.exp(-0.5 * (1 / 0.6) ** 2)) / (0.6 * math.sqrt(2 * math.pi))
)
# p = [½, ½] (from [1e308, 1e308]), q = [¼, ¾] (from [1, 3]), m = (p + q)/2 = [⅜, ⅝]
JS_HALVES_VS_QUARTERS = 0.5 * (0.5 * math.log2(0.5 / 0.375) + 0.5 * math.log2(0.5 / 0.625)) + 0.5 * (
    0.25 * math.log2(0.25 / 0.375) + 0.75 * math.log2(0.75 / 0.625)
)
# q = [1e308, 1e-320] normalises to [1, 1e-320/1e308]: log₂ q₂ = log₂ 1e-320 − log₂ 1e308, far below any float
LOG2_Q2 = math.log2(1e-320) - math.log2(1e308)

EDGE_CASES = [
    # discrete: huge, subnormal, underflowing and wrongly typed entries
    pytest.param(lambda: kl_divergence([1e308, 1e308], [1, 3]), close(1 - 0.5 * math.log2(3)), id="kl-huge-p"),
    pytest.param(lambda: entropy([1e308] * 4), close(2.0), id="entropy-huge"),
    pytest.param(lambda: as_distribution([1e-320, 3e-320])[0], close([0.25, 0.75]), id="normalise-subnormal"),
    pytest.param(
        lambda: as_distribution("abc"), Refused("^p must be a list of numbers, not 'abc'$"), id="normalise-text"
    ),
    pytest.param(
        lambda: as_distribution(np.array([0.5 + 0.5j, 0.5])),
        Refused("^p must be a list of numbers, not array"),
        id="normalise-complex",
    ),
    pytest.param(
        lambda: cross_entropy([1, 1], [1e308, 1e-320]), close(-0.5 * LOG2_Q2), id="cross-entropy-q-underflows"
    ),
    pytest.param(lambda: kl_divergence([1, 1], [1e308, 1e-320]), close(-1 - 0.5 * LOG2_Q2), id="kl-q-underflows"),
    pytest.param(lambda: js_divergence([1e308, 1e308], [1, 3]), close(JS_HALVES_VS_QUARTERS), id="js-huge-p"),
    pytest.param(lambda: kl_divergence([1e-320, 1e308], [0, 1]), INF, id="kl-p-underflows-where-q-is-0"),
    pytest.param(lambda: infinite_categories([1e-320, 1e308], [0, 1]), [1], id="infinite-category-p-underflows"),
    pytest.param(
        lambda: explain_infinite([1e-320, 1e308], [0, 1]),
        "q is 0 in category 1 where p is tiny but not 0: KL(p‖q) is infinite",
        id="explain-p-underflows",
    ),
    pytest.param(lambda: log_base("decibans"), Refused("units must be 'bits' or 'nats', not 'decibans'"), id="units"),
    # editing a distribution
    pytest.param(
        lambda: set_probability([0.2, 0.8], 0, NAN),
        Refused("probability must be a finite number, not nan$"),
        id="set-nan",
    ),
    pytest.param(lambda: set_probability([0.2, 0.8], 0, -INF), Refused("finite number, not -inf$"), id="set-minus-inf"),
    pytest.param(lambda: set_probability([0.2, 0.8], 1.5, 0.3), Refused("whole number, not 1.5$"), id="set-index-1.5"),
    pytest.param(
        lambda: set_probability([1e308, 1e-320, 3e-320], 0, 0.5),
        close([0.5, 0.125, 0.375]),
        id="set-keeps-subnormal-proportions",
    ),
    pytest.param(
        lambda: resize_distribution([1e-320, 3e-320, 1e308], 2),
        close([0.25, 0.75]),
        id="resize-keeps-subnormal-proportions",
    ),
    pytest.param(
        lambda: resize_distribution([0.5, 0.5], NAN),
        Refused("number of categories must be a whole number"),
        id="resize-nan",
    ),
    pytest.param(lambda: resize_distribution([0.5, 0.5], 0), Refused("at least one category, not 0$"), id="resize-0"),
    pytest.param(
        lambda: resize_distribution([0.5, 0.5], 10**30),
        Refused(f"^a distribution can have at most 1000 categories, not {10**30}$"),
        id="resize-too-many",
    ),
    # closed-form Gaussian KL: KL = log σq/σp + (σp² + (μp − μq)²)/(2σq²) − ½
    pytest.param(lambda: kl_gaussian(0.0, 1e-320), close(-math.log(1e-320) - 0.5), id="gauss-subnormal-sigma"),
    pytest.param(
        lambda: kl_gaussian(1e308, 1.0, -1e308, 1e308),
        close(math.log(1e308) + 1.5),
        id="gauss-means-differ-by-more-than-max-float",
    ),
    pytest.param(
        lambda: kl_gaussian(0.0, 1.0, 0.0, 1e-320),
        Refused("^KL\\(p‖q\\) is finite but larger than the largest"),
        id="gauss-overflowing-kl",
    ),
    pytest.param(
        lambda: kl_gaussian(0.0, NAN), Refused("^p's σ must be a finite number, not nan$"), id="gauss-nan-sigma"
    ),
    pytest.param(lambda: kl_gaussian(0.0, 1.0, "a"), Refused("^q's μ must be a number, not 'a'$"), id="gauss-text"),
    pytest.param(
        lambda: kl_gaussian(np.array([1j]), 1.0), Refused("^p's μ must be a number, not array"), id="gauss-complex"
    ),
    pytest.param(lambda: kl_gaussian([], []), Refused("non-empty lists of the same length$"), id="gauss-empty"),
    pytest.param(
        lambda: kl_gaussian([0.0, 1.0], [1.0, 1.0, 1.0]),
        Refused("non-empty lists of the same length$"),
        id="gauss-mismatched",
    ),
    # mixtures and their densities
    pytest.param(
        lambda: GaussianMixture((1.0,), (INF,), (1.0,)),
        Refused("^every mean must be a finite number, not inf$"),
        id="mixture-inf-mean",
    ),
    pytest.param(lambda: GaussianMixture((0.5, 0.5), (0.0,), (1.0,)), Refused("same number"), id="mixture-mismatched"),
    pytest.param(
        lambda: G(1.7e308, 1e307).span(), Refused("run past the largest floating-point number"), id="span-overflows"
    ),
    pytest.param(lambda: G(0.0, 1.0).span(-1.0), Refused("cannot be negative, not -1$"), id="span-negative-width"),
    pytest.param(
        lambda: G(0.0, 1e-320).logpdf(np.array([0.0])),
        close([-math.log(1e-320) - 0.5 * math.log(2 * math.pi)]),
        id="logpdf-subnormal-sigma",
    ),
    pytest.param(
        lambda: G(0.0, 1.0).logpdf(np.array([NAN])), Refused("^x has a value that is not a number$"), id="logpdf-nan"
    ),
    pytest.param(lambda: G(0.0, 1.0).pdf(np.array([1e200])), close([0.0]), id="pdf-far-tail"),
    pytest.param(lambda: G(0.0, 1.0).score(np.array([1e200])), close([-1e200]), id="score-far-tail"),
    pytest.param(
        lambda: TWO_BUMPS.score(np.array([1e200, -1e200])),
        close([(2 - 1e200) / 0.36, (1e200 - 2) / 0.36]),
        id="score-far-tail-nearest-bump",
    ),
    pytest.param(lambda: G(0.0, 1e-320).score(np.array([0.0])), close([0.0]), id="score-subnormal-sigma"),
    pytest.param(
        lambda: GaussianMixture((0.3, 0.7), (-1.0, 1.0), (1e-320, 1e-320)).score(np.array([0.0])),
        Refused("score is too large for floating-point numbers"),
        id="score-beyond-float",
    ),
    pytest.param(
        lambda: G(0.0, 1e308).sample(100, np.random.default_rng(0)),
        Refused("too wide to sample"),
        id="sample-overflows",
    ),
    # KL by integral and by sampling
    pytest.param(
        lambda: kl_integrand(G(0.0, 1e-320), G(0.0, 1e-320), np.array([0.0])),
        close([0.0]),
        id="integrand-p-equals-q-density-above-max",
    ),
    pytest.param(
        lambda: kl_integrand(G(0.0, 1.0), G(0.0, 1.0), np.array([NAN])), Refused("not a number"), id="integrand-nan"
    ),
    pytest.param(
        lambda: kl_numeric(G(0.0, 1e-320), G(0.0, 1.0)),
        close(-math.log(1e-320) - 0.5, rel=1e-9),
        id="numeric-subnormal-sigma",
    ),
    pytest.param(
        lambda: kl_numeric(G(0.0, 1e307), G(0.0, 2e307), -1.7e308, 1.7e308),
        close(math.log(2.0) + 0.125 - 0.5, rel=1e-9),
        id="numeric-range-wider-than-max-float",
    ),
    pytest.param(
        lambda: kl_numeric(G(0.0, 1e-320), G(0.0, 1.0), -1.0, 1.0, 3),
        Refused("too narrow for this range"),
        id="numeric-grid-too-coarse",
    ),
    pytest.param(
        lambda: kl_numeric(G(0.0, 1.0), G(0.0, 1.0), -5.0, 5.0, 3.5),
        Refused("whole number, not 3.5$"),
        id="numeric-fractional-n",
    ),
    pytest.param(
        lambda: kl_numeric(G(0.0, 1.0), G(0.0, 1.0), 5.0, -5.0), Refused("needs lo < hi"), id="numeric-reversed-bounds"
    ),
    pytest.param(
        lambda: kl_monte_carlo(G(0.0, 1.0), G(1e154, 1.0), np.random.default_rng(0), 100).estimate,
        close(0.5e308),
        id="monte-carlo-huge-but-finite",
    ),
    pytest.param(
        lambda: kl_monte_carlo(G(0.0, 1.0), G(0.0, 1e-200), np.random.default_rng(0), 100),
        MonteCarloEstimate(INF, 0.0, 100),
        id="monte-carlo-q-density-is-0",
    ),
    pytest.param(
        lambda: kl_monte_carlo(G(0.0, 1.0), G(0.0, 1.0), np.random.default_rng(0), 1e4),
        Refused("whole number, not 10000.0$"),
        id="monte-carlo-float-n",
    ),
    pytest.param(
        lambda: kl_monte_carlo("p", G(0.0, 1.0), np.random.default_rng(0)),
        Refused("GaussianMixture"),
        id="monte-carlo-not-a-mixture",
    ),
    # fitting q = N(μ, σ²)
    pytest.param(
        lambda: fit_gaussian(TWO_BUMPS, "forward", lr=NAN),
        Refused("^the learning rate must be a finite number, not nan$"),
        id="fit-nan-lr",
    ),
    pytest.param(
        lambda: fit_gaussian(TWO_BUMPS, "forward", steps=-1),
        Refused("cannot be negative, not -1$"),
        id="fit-negative-steps",
    ),
    pytest.param(
        lambda: list(fit_gaussian(TWO_BUMPS, "forward", steps=5, lr=1000.0)),
        Refused("diverged at step 1: .*smaller learning rate$"),
        id="fit-lr-explodes",
    ),
    pytest.param(
        lambda: list(fit_gaussian(TWO_BUMPS, "forward", steps=5, sigma0=1e-200)),
        Refused("stopped at step 0: .* too large for floating-point numbers"),
        id="fit-start-too-narrow",
    ),
    pytest.param(
        lambda: next(fit_gaussian(TWO_BUMPS, "reverse", sigma0=1e-320)).loss,
        close(-(0.5 + 0.5 * math.log(2 * math.pi) + math.log(1e-320)) - LOG_TWO_BUMPS_AT_1),
        id="fit-reverse-subnormal-start",
    ),
]


@pytest.mark.parametrize(("call", "expected"), EDGE_CASES)
def test_edge_inputs_give_the_exact_value_or_a_clear_refusal(call, expected):
    if isinstance(expected, Refused):
        with pytest.raises(DistributionError, match=expected.pattern):
            call()
    else:
        assert call() == expected
