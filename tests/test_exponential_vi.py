"""The notes' 1-D VI toy (exponential prior, Gaussian observations): the posterior, log p(x), the ELBO and
KL each computed on its own path, and the fit's optimum where KL is smallest."""

import math

import numpy as np
import pytest

from explorer.core.likelihood.exponential_vi import (
    FAMILIES,
    ToyConfig,
    ToyFit,
    elbo_value,
    kl_to_posterior,
    log_evidence,
    log_evidence_closed_form,
    log_joint,
    mass_below_zero,
    posterior,
    q_log_density,
)
from explorer.core.likelihood.states import VIToyState
from explorer.core.runtime.errors import DataError
from explorer.core.runtime.limits import ConfigError

CASES = [  # (λ, σ, observations): one x, several, negative ones (the posterior piles up at 0), a sharp one
    (1.0, 1.0, (1.5,)),
    (0.5, 0.7, (0.3, 2.0, -0.5, 1.1)),
    (3.0, 0.5, (-1.0, -2.0)),
    (5.0, 0.2, (4.0, 5.0, 4.5)),
]


@pytest.mark.parametrize("rate, noise, xs", CASES)
def test_the_exact_posterior_integrates_to_one_and_matches_bayes_rule(rate, noise, xs):
    cfg, x = ToyConfig(rate=rate, noise=noise), np.array(xs)
    post = posterior(cfg, x)
    z = np.linspace(0.0, 40.0, 2_000_001)  # a plain trapezoid, not the module's quadrature
    density = np.exp(post.log_density(z))
    assert np.trapezoid(density, z) == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.exp(post.log_density(np.array([-0.5, -1e-9]))) == 0)  # nothing below the prior's support
    # Bayes' rule pointwise: p(z | x) = p(z) p(x | z) / p(x)
    probe = np.array([0.05, 0.7, 2.0])
    np.testing.assert_allclose(post.log_density(probe), log_joint(cfg, x, probe) - log_evidence(cfg, x), atol=1e-9)


@pytest.mark.parametrize("rate, noise, xs", CASES)
def test_log_evidence_by_quadrature_matches_the_closed_form(rate, noise, xs):
    cfg, x = ToyConfig(rate=rate, noise=noise), np.array(xs)
    assert log_evidence(cfg, x) == pytest.approx(log_evidence_closed_form(cfg, x), abs=1e-9)


def test_log_evidence_of_one_observation_by_hand():
    # λ = 1, σ = 1, x = 0: p(x) = ∫₀^∞ e^{−z} N(0; z, 1) dz = e^{1/2} Φ(−1)
    by_hand = 0.5 + math.log(0.5 * math.erfc(1 / math.sqrt(2)))
    assert log_evidence(ToyConfig(rate=1.0, noise=1.0), np.array([0.0])) == pytest.approx(by_hand, abs=1e-12)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("rate, noise, xs", CASES)
def test_elbo_plus_kl_is_log_evidence(family, rate, noise, xs):
    cfg, x = ToyConfig(rate=rate, noise=noise, family=family), np.array(xs)
    log_px = log_evidence(cfg, x)
    for m, s in ((0.5, 1.0), (-1.0, 0.5), (1.2, 0.3), (0.0, 2.0)):
        elbo, kl = elbo_value(cfg, x, m, s), kl_to_posterior(cfg, x, m, s)
        assert kl >= -1e-12  # zero where q is the posterior itself (the first case, truncated)
        assert elbo + kl == pytest.approx(log_px, abs=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_q_is_a_density_on_the_support(family):
    z = np.linspace(0.0, 60.0, 3_000_001)
    for m, s in ((0.3, 0.8), (-0.5, 0.6)):
        q = np.exp(q_log_density(family, m, s, z))
        assert np.trapezoid(q, z) == pytest.approx(1.0, abs=1e-5)
        assert np.exp(q_log_density(family, m, s, np.array([-0.1])))[0] == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_the_elbos_optimum_is_where_kl_is_smallest(family):
    cfg, x = ToyConfig(rate=1.0, noise=1.0, family=family, lr=0.05), np.array([1.2, 0.4, 2.0])
    # on a grid over the family, the best ELBO and the smallest KL fall on the same (m, s)
    ms, ss = np.linspace(-1.0, 1.5, 26), np.geomspace(0.2, 1.5, 25)
    elbos = np.array([[elbo_value(cfg, x, m, s) for s in ss] for m in ms])
    kls = np.array([[kl_to_posterior(cfg, x, m, s) for s in ss] for m in ms])
    assert np.unravel_index(elbos.argmax(), elbos.shape) == np.unravel_index(kls.argmin(), kls.shape)
    # and Adam's fit, from elsewhere, ends where neither moving m nor s lowers KL
    fit = ToyFit(cfg, (1.2, 0.4, 2.0), m0=1.0, s0=1.0)
    first = fit.snapshot()
    end = fit.climb(1500)
    assert end.elbo > first.elbo and end.kl < first.kl
    for dm, ds in ((0.02, 0), (-0.02, 0), (0, 0.02), (0, -0.02)):
        assert kl_to_posterior(cfg, x, end.m + dm, end.s + ds) > end.kl
    if family == "truncated normal":  # the posterior's own family: the gap closes
        post = posterior(cfg, x)
        assert (
            end.kl < 1e-6 and end.m == pytest.approx(post.mean, abs=1e-3) and end.s == pytest.approx(post.sd, abs=1e-3)
        )
    else:  # a log-normal cannot take the posterior's shape
        assert end.kl > 0.05


def test_a_gaussian_q_would_put_mass_below_zero():
    assert mass_below_zero(0.0, 1.0) == pytest.approx(0.5)
    assert mass_below_zero(1.0, 1.0) == pytest.approx(0.5 * math.erfc(1 / math.sqrt(2)))


def test_the_toy_state_adds_and_removes_observations_and_refuses_in_one_line():
    state = VIToyState()
    state.step(20)
    state.add_observation(3.0)
    assert state.xs[-1] == 3.0 and state.current.step == 0 and len(state.history) == 1  # a new fit
    assert state.fitter.posterior.mean == pytest.approx(np.mean(state.xs) - 1.0 / len(state.xs))
    state.remove_observation_near(2.9)
    assert 3.0 not in state.xs
    for x in state.xs[1:]:
        state.remove_observation_near(x)
    with pytest.raises(DataError, match="at least one"):
        state.remove_observation_near(0.0)
    with pytest.raises(ConfigError):
        state.set_request(rate=0.0)
    state.set_request(family="truncated normal")
    state.step(5)
    assert state.history[-1] == (5, state.current.elbo)
