"""The Likelihood tab's maths against closed forms and hand computations, and its section states."""

import math

import numpy as np
import pytest

from explorer.core.likelihood.ball import (
    BallPrior,
    beta_log_pdf,
    beta_mode,
    binary_cross_entropy,
    cross_entropy_curve,
    fit,
    log_likelihood,
)
from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.gmm import (
    EMConfig,
    Mixture,
    choose_k,
    e_step,
    elbo,
    em,
    fit_mixture,
    initial_mixture,
    m_step,
    point_log_density,
    posterior_gap,
    sample_mixture,
)
from explorer.core.likelihood.gmm_checkpoint import gmm_nll, mixture_from_checkpoint, sample_gmm, train_gmm
from explorer.core.likelihood.kde import best_bandwidth, parzen_log_density, parzen_log_likelihood
from explorer.core.likelihood.markov import (
    WEATHER,
    check_transition,
    forward_marginals,
    kl_to_standard_normal,
    propagate,
    second_eigenvalue_modulus,
    stationary,
)
from explorer.core.likelihood.mnist_kde import bernoulli_log_probability, gaussian_log_density, hamming
from explorer.core.likelihood.states import BallState, EMState, MarkovState, VIState
from explorer.core.likelihood.variational import VariationalFit, VIConfig, exact_posterior, kl_gaussians
from explorer.core.plane.data import PointSet
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError, DataError
from explorer.core.runtime.limits import ConfigError


# ---- ball example -----------------------------------------------------------------------------------
def test_ball_posterior_and_map_match_the_closed_form():
    draws = (1, 0, 1, 1, 0, 1, 1)  # k = 5 of n = 7
    result = fit(draws, BallPrior(a=3.0, b=2.0), theta_probe=0.4)
    assert (result.k, result.n) == (5, 7)
    assert result.theta_ml == pytest.approx(5 / 7)
    assert (result.posterior_a, result.posterior_b) == (8.0, 4.0)
    assert result.theta_map == pytest.approx((3 + 5 - 1) / (3 + 2 + 7 - 2))  # 7/10
    assert result.posterior_mean == pytest.approx(8 / 12)
    # the posterior density's argmax on a fine grid is the MAP
    theta = np.linspace(1e-4, 1 - 1e-4, 200_001)
    log_post = log_likelihood(theta, 5, 7) + beta_log_pdf(theta, 3.0, 2.0)
    assert theta[np.argmax(log_post)] == pytest.approx(0.7, abs=1e-4)
    # the Beta(8, 4) density integrates to one
    assert np.trapezoid(np.exp(beta_log_pdf(theta, 8.0, 4.0)), theta) == pytest.approx(1.0, abs=1e-4)
    # cross-entropy = H + KL, and −log-likelihood per draw is the cross-entropy at θ_ML
    p = 5 / 7
    assert result.cross_entropy_at == pytest.approx(-p * math.log(0.4) - (1 - p) * math.log(0.6))
    assert result.kl_at == pytest.approx(p * math.log(p / 0.4) + (1 - p) * math.log((1 - p) / 0.6))
    assert -result.log_likelihood_at_ml / 7 == pytest.approx(result.empirical_entropy)
    curve = cross_entropy_curve(p, theta[::1000])
    np.testing.assert_allclose(curve, [binary_cross_entropy(p, t) for t in theta[::1000]], rtol=1e-12)
    assert theta[::1000][np.argmin(curve)] == pytest.approx(p, abs=0.005)


def test_ball_map_under_a_uniform_prior_is_the_ml_and_edges_are_handled():
    assert fit((1, 1, 0), BallPrior(1.0, 1.0)).theta_map == pytest.approx(2 / 3)
    assert fit((1, 1), BallPrior(1.0, 1.0)).theta_map == 1.0  # Beta(3, 1): density largest at θ = 1
    assert beta_mode(0.5, 3.0) == 0.0 and beta_mode(4.0, 1.0) == 1.0
    with pytest.raises(ConfigError, match="a must be"):
        BallPrior(a=0.0)


# ---- EM --------------------------------------------------------------------------------------------
def random_data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(c, s, (n // 3, 2)) for c, s in ((-2, 0.5), (0, 1.0), (3, 0.3))])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_em_never_decreases_the_log_likelihood_and_closes_the_gap_at_each_e_step(seed):
    x = np.random.default_rng(seed).standard_normal((200, 2)) * [1.0, 3.0]  # no mixture structure at all
    snaps = list(em(x, EMConfig(components=4, iterations=40, seed=seed)))
    lls = np.array([s.log_likelihood for s in snaps])
    assert np.all(np.diff(lls) >= -1e-9)
    assert snaps[0].gap > 1.0  # q uniform at the start: the gap is open
    for s in snaps:
        assert s.log_likelihood == pytest.approx(s.elbo + s.gap, abs=1e-8)
        if s.step == "E":
            assert abs(s.gap) < 1e-6
        if s.step == "M":
            before = snaps[snaps.index(s) - 1]
            assert s.elbo >= before.elbo - 1e-9  # the M-step raises the ELBO with q held


def test_gap_is_the_kl_to_the_posterior_and_elbo_matches_by_hand():
    x = random_data()
    theta = initial_mixture(x, 3, 0)
    q = np.random.default_rng(0).dirichlet(np.ones(3), len(x))
    post = e_step(x, theta)
    by_hand = float(np.sum(q * np.log(q / post)))
    assert posterior_gap(x, q, theta) == pytest.approx(by_hand, rel=1e-10)
    ll = float(point_log_density(x, theta).sum())
    assert elbo(x, q, theta) == pytest.approx(ll - by_hand, rel=1e-10)


def test_variance_floor_stops_a_component_collapsing_on_one_point():
    x = np.array([[0.0, 0.0], [5.0, 5.0], [5.1, 4.9], [4.9, 5.2], [5.2, 5.1]])
    theta = Mixture(np.array([0.5, 0.5]), np.array([[0.0, 0.0], [5.0, 5.0]]), np.repeat(np.eye(2)[None], 2, 0))
    for _ in range(30):
        theta = m_step(x, e_step(x, theta), theta, floor=0.01)
    assert np.linalg.eigvalsh(theta.covariances[0]).min() == pytest.approx(0.01)  # on one point: the floor
    assert np.isfinite(point_log_density(x, theta)).all()


def test_em_recovers_a_known_mixture_and_held_out_likelihood_picks_its_k():
    rng = np.random.default_rng(0)
    true = Mixture(
        np.array([0.5, 0.3, 0.2]),
        np.array([[-3.0, 0.0], [2.0, 2.0], [2.0, -2.5]]),
        np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.4, 0.0], [0.0, 0.4]], [[0.3, -0.1], [-0.1, 0.6]]]),
    )
    train, held = sample_mixture(true, 1500, rng), sample_mixture(true, 1500, rng)
    choices = list(choose_k(train, held, range(1, 6), EMConfig(iterations=60)))
    assert min(choices, key=lambda c: c.bic).K == 3
    best = min(c.held_out_nll for c in choices)
    assert choices[2].held_out_nll < best + 0.01 and choices[1].held_out_nll > best + 0.1  # K = 2 is far worse
    entropy = -float(point_log_density(sample_mixture(true, 100_000, rng), true).mean())
    assert choices[2].held_out_nll == pytest.approx(entropy, abs=0.05)


def test_em_refuses_too_few_distinct_points():
    with pytest.raises(DataError, match="at least 3 distinct points"):
        list(em(np.zeros((10, 2)), EMConfig(components=3)))


def test_gmm_checkpoint_round_trip_sample_and_nll(tmp_path):
    data = PointSet(random_data().astype(np.float32), "three blobs")
    ckpt = train_gmm(data, EMConfig(components=3, iterations=30))
    path = save_checkpoint(tmp_path / "gmm.safetensors", ckpt)
    loaded = load_checkpoint(path, "gmm")
    theta, cfg = mixture_from_checkpoint(loaded)
    assert cfg.components == 3 and theta.K == 3
    assert gmm_nll(loaded, data.points) == pytest.approx(ckpt.info["metrics"]["train_nll"], rel=1e-9)
    assert sample_gmm(loaded, 50, seed=1).shape == (50, 2)
    np.testing.assert_array_equal(sample_gmm(loaded, 50, seed=1), sample_gmm(loaded, 50, seed=1))
    broken = dict(loaded.state) | {"covariances": -loaded.state["covariances"]}
    with pytest.raises(CheckpointError, match="positive definite"):
        mixture_from_checkpoint(type(loaded)(loaded.kind, loaded.config, broken, loaded.info))


# ---- variational inference ------------------------------------------------------------------------
def test_vi_elbo_is_log_evidence_minus_kl_in_the_gaussian_case():
    for prior in ("gaussian", "correlated"):
        fitter = VariationalFit(
            VIConfig(prior=prior, noise=0.7, family="full"), np.array([0.8, -0.4]), np.array([1.0, 2.0]), sigma0=0.6
        )
        for _ in range(3):
            s = fitter.step()
        post = fitter.posterior
        kl = kl_gaussians(s.mu, s.cov, post.means[0], post.covariances[0])
        assert s.elbo == pytest.approx(s.log_px - kl, abs=1e-10)
        # log p(x) by hand: x ~ N(0, Σ_prior + σ² I)
        cov = fitter.prior.covariances[0] + 0.49 * np.eye(2)
        x = np.array([0.8, -0.4])
        by_hand = -0.5 * (2 * math.log(2 * math.pi) + math.log(np.linalg.det(cov)) + x @ np.linalg.solve(cov, x))
        assert s.log_px == pytest.approx(by_hand, abs=1e-12)


def test_vi_converges_to_the_posterior_and_mean_field_leaves_a_gap():
    full = VIState(request=VIConfig(prior="correlated", family="full", lr=0.1))
    mean_field = VIState(request=VIConfig(prior="correlated", family="diagonal", lr=0.1))
    for state in (full, mean_field):
        state.step(400)
    assert full.current.gap < 1e-5
    assert mean_field.current.gap > 0.1  # a diagonal q cannot lean with a correlated posterior
    assert full.history[-1] == (400, full.current.elbo)


def test_vi_posterior_of_the_two_mode_prior_is_a_normalised_mixture():
    post, _log_px = exact_posterior(VariationalFit(VIConfig(), np.zeros(2)).prior, np.array([0.5, 0.0]), 1.0)
    assert post.weights.sum() == pytest.approx(1.0) and post.weights[1] > post.weights[0]
    grid = np.stack(np.meshgrid(np.linspace(-8, 8, 801), np.linspace(-8, 8, 801)), -1).reshape(-1, 2)
    mass = np.exp(point_log_density(grid, post)).sum() * 0.02**2
    assert mass == pytest.approx(1.0, abs=1e-4)


# ---- KDE ---------------------------------------------------------------------------------------------
def test_parzen_matches_a_hand_computed_reference():
    """scipy is not installed, so the reference is the Parzen sum written out term by term."""
    rng = np.random.default_rng(0)
    centres, x, h = rng.normal(size=(7, 3)), rng.normal(size=(5, 3)), 0.8
    by_hand = [
        math.log(
            sum(math.exp(-np.sum((xi - c) ** 2) / (2 * h * h)) / (2 * math.pi * h * h) ** 1.5 for c in centres) / 7
        )
        for xi in x
    ]
    np.testing.assert_allclose(parzen_log_density(x, centres, h), by_hand, rtol=1e-12)


def test_parzen_bandwidth_choice_and_refusals():
    rng = np.random.default_rng(1)
    centres, validation = rng.normal(size=(500, 2)), rng.normal(size=(300, 2))
    h, scores = best_bandwidth(validation, centres, np.array([0.01, 0.3, 5.0]))
    assert h == 0.3 and scores[1] > scores[0] and scores[1] > scores[2]
    assert parzen_log_likelihood(validation, centres, 0.3) > -3.2  # N(0, I) in 2-D: entropy 2.84 nats
    with pytest.raises(DataError, match="bandwidth"):
        parzen_log_density(validation, centres, 0.0)


def test_mnist_kernels_from_hamming_distances():
    rng = np.random.default_rng(0)
    x, c = (rng.random((4, 20)) < 0.3).astype(np.float32), (rng.random((6, 20)) < 0.3).astype(np.float32)
    d = hamming(x, c)
    np.testing.assert_array_equal(d, (x[:, None, :] != c[None]).sum(-1))
    np.testing.assert_allclose(gaussian_log_density(d, 0.7, dims=20), parzen_log_density(x, c, 0.7), rtol=1e-6)
    flip = 0.1
    by_hand = np.log(np.mean(flip**d * (1 - flip) ** (20 - d), axis=1))
    np.testing.assert_allclose(bernoulli_log_probability(d, flip, dims=20), by_hand, rtol=1e-10)


# ---- Markov chains -----------------------------------------------------------------------------------
def test_pi_p_n_converges_to_the_stationary_eigenvector():
    pi_star = stationary(WEATHER)
    np.testing.assert_allclose(pi_star @ WEATHER, pi_star, atol=1e-12)
    assert pi_star.sum() == pytest.approx(1.0)
    for start in np.eye(3):
        path = propagate(start, WEATHER, 60)
        np.testing.assert_allclose(path[-1], pi_star, atol=1e-10)
    lam2 = second_eigenvalue_modulus(WEATHER)
    path = propagate(np.eye(3)[0], WEATHER, 20)
    tv = 0.5 * np.abs(path - pi_star).sum(1)
    assert tv[20] / tv[10] == pytest.approx(lam2**10, rel=0.05)


def test_transition_matrix_is_checked():
    with pytest.raises(DataError, match=r"Row 2 of P sums to 0\.9"):
        check_transition(np.array([[1.0, 0.0], [0.5, 0.4]]))


def test_ddpm_forward_chain_keeps_the_standard_normal_and_reaches_it():
    from explorer.core.diffusion.schedule import linear_betas

    abar = np.cumprod(1 - linear_betas(1000))
    means, variances = forward_marginals(abar, 0.0, 1.0)
    np.testing.assert_allclose(variances, 1.0, atol=1e-12)
    means, variances = forward_marginals(abar, 3.0, 0.01)
    kl = kl_to_standard_normal(means, variances)
    assert kl[0] > 4 and kl[-1] < 1e-3 and np.all(np.diff(kl) < 1e-12)
    # one step of x_t = √(1−β) x + √β ε, by simulation
    rng = np.random.default_rng(0)
    x = 3.0 + 0.1 * rng.standard_normal(200_000)
    beta = linear_betas(1000)
    for t in range(50):
        x = math.sqrt(1 - beta[t]) * x + math.sqrt(beta[t]) * rng.standard_normal(len(x))
    assert x.mean() == pytest.approx(means[50], abs=0.01) and x.var() == pytest.approx(variances[50], rel=0.02)


# ---- section states --------------------------------------------------------------------------------------
def test_states_emit_once_per_update_and_refuse_bad_values():
    state = BallState()
    seen = []
    state.changed.connect(seen.append)
    state.add_draw(True)
    state.set_prior(a=1.0)
    state.set_prior(a=1.0)  # no change, no event
    assert seen == [frozenset({"draws"}), frozenset({"prior"})]
    with pytest.raises(ConfigError):
        state.set_prior(b=-1.0)
    assert state.prior.b == 2.0 and len(seen) == 2


def test_em_state_alternates_steps_and_records_the_curves():
    state = EMState(points=random_data(), request=EMConfig(components=3))
    assert state.current.step == "start" and state.running is Running.IDLE
    for _ in range(6):
        state.step()
    assert [len(state.history), state.current.step, state.current.iteration] == [7, "M", 3]
    lls = [h[0] for h in state.history]
    assert np.all(np.diff(lls) >= -1e-12)
    state.set_request(components=2)
    assert state.current.theta.K == 2 and len(state.history) == 1


def test_markov_state_refuses_a_bad_start():
    state = MarkovState()
    with pytest.raises(DataError):
        state.set_start(np.array([0.5, 0.6, 0.0]))
    np.testing.assert_allclose(state.trajectory()[0], [1, 0, 0])


def test_held_out_nll_with_the_right_k_is_within_003_nats_of_the_known_mixtures_entropy():
    from explorer.core.likelihood.states import known_mixture
    from explorer.core.plane.data import make_preset

    truth = known_mixture()
    rng = np.random.default_rng(1)
    entropy = -float(point_log_density(sample_mixture(truth, 200_000, rng), truth).mean())  # ± 0.002
    theta = fit_mixture(make_preset("mixture", 2000, 0).astype(np.float64), EMConfig(components=3, restarts=3))
    held_out_nll = -float(point_log_density(sample_mixture(truth, 20_000, rng), theta).mean())
    assert abs(held_out_nll - entropy) < 0.03


def test_a_brush_stroke_sprays_inside_the_brush_and_erases_what_it_covers():
    from explorer.core.likelihood.drawing import SPRAY, brush_stroke

    rng = np.random.default_rng(0)
    points = np.zeros((0, 2), np.float32)
    for x in np.linspace(-1, 1, 20):
        points = brush_stroke(points, x, 0.5, 0.2, False, rng)
    assert points.shape == (20 * SPRAY, 2) and points.dtype == np.float32
    assert np.all(np.abs(points[:, 1] - 0.5) <= 0.2 + 1e-6)
    assert brush_stroke(points, 3.0, 3.0, 0.2, True, rng) is None  # nothing under the brush
    kept = brush_stroke(points, 0.0, 0.5, 0.3, True, rng)
    assert 0 < len(kept) < len(points) and np.all(np.hypot(kept[:, 0], kept[:, 1] - 0.5) > 0.3)


def test_em_state_waits_for_k_distinct_points_then_starts():
    state = EMState(points=np.zeros((0, 2)), request=EMConfig(components=3))
    assert state.current is None and state.missing_points == 3
    with pytest.raises(DataError, match="3 more"):
        state.step()
    state.set_points(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]), "drawing")  # two distinct points
    assert state.current is None and state.missing_points == 1
    state.set_points(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), "drawing")
    assert state.current.step == "start" and state.current.theta.K == 3
