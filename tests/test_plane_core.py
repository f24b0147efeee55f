"""The 2-D Lab's maths and loops: denoising score matching, Langevin dynamics, the DDPM's samplers and the
ε ↔ score link, checked against the known mixture's exact score (tiny configs)."""

import math

import numpy as np
import pytest
import torch

from explorer.core.plane.data import KNOWN_MIXTURE, make_preset
from explorer.core.plane.langevin import annealed_langevin, exact_score_fn, langevin, tweedie_denoise, uniform_start
from explorer.core.plane.link import agreement, ddpm_score, net_score, sigma_of, step_for_sigma
from explorer.core.plane.mixture import GaussianMixture, mixture_log_density, mixture_score, mode_shares
from explorer.core.plane.models import DDPMConfig, ScoreConfig, build_net
from explorer.core.plane.quality import judge_for, mmd2
from explorer.core.plane.samplers import SAMPLERS, ddim_step, forward_chain, reverse_chain, starting_noise
from explorer.core.plane.training import train_plane


def _trained(cfg, points, snaps=None):
    job = train_plane(cfg, points, "mixture", snapshot_s=0.0)
    while True:
        try:
            snap = next(job)
        except StopIteration as done:
            ckpt = done.value
            break
        if snaps is not None:
            snaps.append(snap)
    net = build_net(cfg)
    net.load_state_dict(ckpt.state)
    return net.eval(), ckpt


@pytest.fixture(scope="module")
def mixture_points():
    return make_preset("mixture", 2000)


def _field_error(score_at, sigma):
    grid = make_preset("mixture", 500, seed=5) + sigma * np.random.default_rng(5).standard_normal((500, 2))
    return agreement(score_at(grid), mixture_score(KNOWN_MIXTURE, grid, sigma))


def test_score_matching_loss_falls_and_the_score_approaches_the_exact_one(mixture_points):
    cfg = ScoreConfig(hidden=64, layers=2, steps=400, batch_size=1024, lr=5e-3)
    untrained = build_net(cfg).eval()
    snaps = []
    net, ckpt = _trained(cfg, mixture_points, snaps)
    assert np.mean([s.loss for s in snaps[-40:]]) < 0.9 * np.mean([s.loss for s in snaps[:10]])
    for sigma, most in ((0.3, 0.75), (1.0, 0.45), (3.0, 0.2)):  # the error falls as σ grows: the field smooths out
        _, err_before = _field_error(lambda y, s=sigma: net_score(untrained, y, s), sigma)
        cos, err = _field_error(lambda y, s=sigma: net_score(net, y, s), sigma)
        assert err < most < err_before and cos > 0.75
    assert ckpt.info["dataset"]["fingerprint"] and ckpt.kind == "plane-score"


def test_annealed_langevin_with_the_exact_score_gets_the_weights_and_noiseless_collapses():
    score = exact_score_fn(KNOWN_MIXTURE)
    sigmas = np.geomspace(4.0, 0.05, 8)
    start = uniform_start(1500, seed=0)
    annealed = annealed_langevin(score, start, sigmas, eps=0.2 * 0.05**2, steps_per_level=60, seed=0)
    assert np.allclose(mode_shares(KNOWN_MIXTURE, annealed.final), KNOWN_MIXTURE.weights, atol=0.05)
    plain = langevin(score, start, 0.05, eps=0.2 * 0.05**2, steps=480, seed=0)
    assert np.abs(mode_shares(KNOWN_MIXTURE, plain.final) - KNOWN_MIXTURE.weights).max() > 0.1  # mis-weighted
    collapsed = langevin(score, start, 0.05, eps=0.02, steps=400, seed=0, noise=False).final
    nearest = np.linalg.norm(collapsed[:, None] - KNOWN_MIXTURE.means[None], axis=2).min(1)
    assert np.quantile(nearest, 0.99) < 0.02
    assert annealed.frames.shape[1:] == (1500, 2) and annealed.steps[-1] == 480 and annealed.sigmas[-1] == 0.05


def test_the_eps_score_relation_is_exact_maths_and_holds_on_a_trained_ddpm(mixture_points):
    net, _ = _trained(DDPMConfig(hidden=64, layers=2, T=200, steps=1500, batch_size=256, lr=5e-3), mixture_points)
    t = step_for_sigma(net, 1.0)
    sigma = sigma_of(float(net.alphas_cumprod[t]))
    assert sigma == pytest.approx(1.0, rel=0.05)
    # The chain rule: ∇ log q_t(x) at x = √ᾱ y, times √ᾱ, is the score of p_σ at y (q_t is p_σ rescaled by √ᾱ).
    y = np.array([[0.4, -0.3], [1.5, 2.0]])
    abar, h = float(net.alphas_cumprod[t]), 1e-5

    def log_q(x):
        return mixture_log_density(KNOWN_MIXTURE, x / math.sqrt(abar), sigma) - math.log(abar)

    grad_q = np.stack(
        [
            (log_q(math.sqrt(abar) * y + d) - log_q(math.sqrt(abar) * y - d)) / (2 * h)
            for d in (np.array([h, 0]), np.array([0, h]))
        ],
        1,
    )
    assert np.allclose(math.sqrt(abar) * grad_q, mixture_score(KNOWN_MIXTURE, y, sigma), atol=1e-4)
    cosine, error = _field_error(lambda pts: ddpm_score(net, pts, t), sigma)
    assert cosine > 0.85 and error < 0.5


@pytest.fixture(scope="module")
def tiny_ddpm():
    return build_net(DDPMConfig(hidden=32, layers=1, T=100)).eval()


class _Counting(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net, self.calls, self.cfg, self.alphas_cumprod = net, 0, net.cfg, net.alphas_cumprod

    def forward(self, x, t):
        self.calls += 1
        return self.net(x, t)

    def at_step(self, x, t):
        self.calls += 1
        return self.net.at_step(x, t)


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("nfe", [1, 2, 5, 10, 1000])
def test_each_sampler_honours_nfe_and_is_reproducible(tiny_ddpm, sampler, nfe):
    counting = _Counting(tiny_ddpm)
    x_T = starting_noise(50, seed=3)
    a, spent = reverse_chain(counting, sampler, nfe, x_T, eta=0.5, seed=7)
    assert counting.calls == spent <= nfe and spent >= min(nfe, 100) - 1
    b, _ = reverse_chain(tiny_ddpm, sampler, nfe, x_T, eta=0.5, seed=7)
    assert np.array_equal(a.final, b.final) and a.steps[0] == 100 and a.steps[-1] == 0
    if sampler in ("ddpm", "ddim") and nfe > 1:  # the last step, to the data, adds no noise
        c, _ = reverse_chain(tiny_ddpm, sampler, nfe, x_T, eta=0.5, seed=8)
        assert not np.array_equal(a.final, c.final)


def test_one_shared_level_gives_what_the_per_point_levels_give(tiny_ddpm):
    x = torch.as_tensor(starting_noise(64, seed=2))
    with torch.no_grad():
        featured = build_net(DDPMConfig(hidden=32, layers=1, T=100, point_frequencies=3)).eval()
        for net in (tiny_ddpm, featured):
            for t in (0, 37, 99):
                per_point = net(x, torch.full((64,), t, dtype=torch.long))
                assert torch.allclose(net.at_step(x, t), per_point, atol=1e-5)
        score = build_net(ScoreConfig(hidden=32, layers=2, seed=4))
        for sigma in (0.1, 0.7, 4.0):
            per_point = score(x, torch.full((64,), sigma))
            assert torch.allclose(score.at_sigma(x, sigma), per_point, rtol=1e-4, atol=1e-5)


def test_ddim_without_noise_is_euler_on_the_probability_flow_ode(tiny_ddpm):
    x_T = starting_noise(64, seed=1)
    ddim, _ = reverse_chain(tiny_ddpm, "ddim", 10, x_T, eta=0.0)
    euler, _ = reverse_chain(tiny_ddpm, "euler", 10, x_T)
    assert np.allclose(ddim.final, euler.final, atol=1e-4)
    x = torch.as_tensor(x_T)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(ddim_step(tiny_ddpm, x, 50, 40, 0.0, g), ddim_step(tiny_ddpm, x, 50, 40, 0.0, g))


def test_forward_chain_follows_q_t(tiny_ddpm):
    x0 = make_preset("ring", 4000)
    chain = forward_chain(tiny_ddpm, x0, frames=11)
    assert np.array_equal(chain.frames[0], x0) and chain.steps[-1] == 100
    abar = float(tiny_ddpm.alphas_cumprod[-1])
    assert chain.frames[-1].std() == pytest.approx(math.sqrt(abar * x0.var() + 1 - abar), rel=0.05)


def test_mmd_is_zero_for_equal_sets_and_the_floor_is_below_a_wrong_distribution():
    ring = make_preset("ring", 500)
    assert mmd2(ring, ring) == pytest.approx(0.0, abs=1e-9)
    judge = judge_for(ring, "ring", n=500)
    assert 0 < judge.floor < judge.score(make_preset("moons", 500)) / 10
    assert judge.verdict(judge.floor) == "at the floor"
    drawn = judge_for(make_preset("spiral", 300), "drawing")
    assert len(drawn.reference) == 150 and drawn.floor > 0


def test_the_final_denoising_step_is_the_posterior_mean_and_pulls_points_to_the_modes():
    one = GaussianMixture(np.array([[1.0, -0.5]]), np.array([0.3]), np.array([1.0]))
    sigma = 0.4
    x = torch.as_tensor(np.random.default_rng(0).normal(0, 1.5, (100, 2)), dtype=torch.float32)
    posterior_mean = one.means[0] + 0.3**2 / (0.3**2 + sigma**2) * (x.numpy() - one.means[0])
    assert np.allclose(tweedie_denoise(exact_score_fn(one), x, sigma).numpy(), posterior_mean, atol=1e-5)
    clean = make_preset("mixture", 2000, seed=4)
    noisy = clean + 0.2 * np.random.default_rng(5).standard_normal(clean.shape).astype(np.float32)
    denoised = tweedie_denoise(exact_score_fn(KNOWN_MIXTURE), torch.as_tensor(noisy), 0.2).numpy()

    def to_modes(points):
        return np.linalg.norm(points[:, None] - KNOWN_MIXTURE.means[None], axis=2).min(1).mean()

    assert to_modes(denoised) < 0.85 * to_modes(noisy)


def test_annealed_langevin_ends_with_the_denoised_frame_only_when_asked():
    score, sigmas, start = exact_score_fn(KNOWN_MIXTURE), np.geomspace(2.0, 0.1, 4), uniform_start(300, seed=1)
    plain = annealed_langevin(score, start, sigmas, eps=0.002, steps_per_level=5, seed=3)
    denoised = annealed_langevin(score, start, sigmas, eps=0.002, steps_per_level=5, seed=3, denoise=True)
    assert len(denoised.frames) == len(plain.frames) + 1 and np.array_equal(denoised.frames[:-1], plain.frames)
    expected = tweedie_denoise(score, torch.as_tensor(plain.final), 0.1).numpy()
    assert np.allclose(denoised.final, expected) and denoised.sigmas[-1] == 0 and denoised.steps[-1] == 21
