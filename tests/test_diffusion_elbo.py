"""The DDPM's bound term by term (Ho et al. eq. 5): closed forms, and the sum of the terms against a direct
Monte-Carlo estimate over whole forward chains."""

import math

import numpy as np
import pytest
import torch

from explorer.core.diffusion import DDPMConfig, build_ddpm, make_schedule
from explorer.core.diffusion.elbo import (
    chain_bound_estimate,
    discretized_gaussian_log_likelihood,
    elbo_terms,
    kl_gaussian,
    p_mean,
    q_posterior,
)
from explorer.core.diffusion.elbo_trace import BoundTrace, bound_job, eps_weight, kl_constant, to_model_space

SCHEDULE = make_schedule("linear", 50)
X0 = (torch.tensor([0, 30, 128, 200, 255, 255, 0, 90], dtype=torch.float32) / 127.5 - 1).reshape(1, 8)


def shrinking_eps(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A stand-in noise predictor, x_t scaled by a factor of t: imperfect, so every term is positive."""
    return x_t * (0.5 + 0.01 * t.float()).reshape(-1, *([1] * (x_t.dim() - 1)))


def test_the_terms_sum_to_the_bound_a_direct_chain_estimate_gives():
    terms = elbo_terms(shrinking_eps, SCHEDULE, X0, samples=2000, seed=1)
    assert terms.steps.shape == (49,) and np.all(terms.steps > 0) and terms.decoder > 0
    assert 0 < terms.prior < 1e-3  # abar_T ~ 4e-5 (the scaled linear schedule): x_T is nearly N(0, I)
    assert terms.total == pytest.approx(terms.prior + terms.steps.sum() + terms.decoder)
    assert terms.bits_per_dim == pytest.approx(terms.total / (8 * math.log(2)))
    direct, stderr = chain_bound_estimate(shrinking_eps, SCHEDULE, X0, chains=20000, seed=2)
    assert abs(direct - terms.total) < 4 * stderr + 0.005 * terms.total, (direct, stderr, terms.total)


def test_the_closed_forms():
    # KL of two Gaussians against the textbook formula; zero for equal ones.
    assert float(kl_gaussian(torch.tensor(1.0), 0.5, torch.tensor(0.0), 2.0)) == pytest.approx(
        0.5 * (math.log(4) + (0.5 + 1) / 2 - 1)
    )
    assert float(kl_gaussian(torch.tensor(0.3), 0.2, torch.tensor(0.3), 0.2)) == 0.0
    # With the true noise, mu_theta is the posterior mean mu~ (eq. 7 and eq. 11 agree).
    schedule = make_schedule("linear", 1000)
    eps = torch.randn(8, generator=torch.Generator().manual_seed(0))
    x0 = X0[0]
    for i in (1, 10, 500, 999):
        abar = schedule.alphas_cumprod[i]
        x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
        mean, var = q_posterior(schedule, x0, x_t, i)
        assert torch.allclose(p_mean(schedule, eps, x_t, i), mean, atol=1e-4) and var < schedule.betas[i].item()
    # The discrete decoder's bins cover the line: their masses sum to 1.
    levels = torch.arange(256, dtype=torch.float64) / 127.5 - 1
    mass = discretized_gaussian_log_likelihood(levels, torch.full_like(levels, 0.1), 0.05).exp().sum()
    assert float(mass) == pytest.approx(1.0, abs=1e-6)


def test_a_digit_of_a_tiny_model_gets_a_bound_in_bits_per_dim():
    torch.manual_seed(0)
    model = build_ddpm(DDPMConfig(timesteps=20, base_channels=8, depth=1)).eval()
    x0 = torch.round((torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(3))) * 255) / 127.5 - 1
    terms = elbo_terms(model, model.schedule, x0, samples=2, seed=0)
    assert terms.steps.shape == (19,) and terms.dims == 784 and terms.bits_per_dim > 0
    again = elbo_terms(model, model.schedule, x0, samples=2, seed=0)  # seeded
    assert np.array_equal(again.steps, terms.steps) and again.total == terms.total


def test_each_pixels_kl_is_a_constant_plus_the_weighted_eps_error_and_the_job_sums_them():
    """Ho et al. eq. 12: KL = C_t + lambda_t (eps - eps_theta)^2 per pixel; the bound job's per-t terms are the sums
    of the pixels' terms the view draws, and its total is elbo_terms' on the same draws."""
    torch.manual_seed(0)
    cfg = DDPMConfig(timesteps=20, base_channels=8, depth=1)
    model = build_ddpm(cfg).eval()
    digit = (np.random.default_rng(1).random((28, 28)) * 255).astype(np.uint8)
    weights = {name: w.numpy() for name, w in model.unet.state_dict().items()}
    trace = BoundTrace(model.schedule, digit, seed=3)
    chunks = list(bound_job(cfg, weights, digit, seed=3, batch=7))
    assert [c.start for c in chunks] == [0, 7, 14] and chunks[-1].progress == 1.0
    for chunk in chunks:
        assert not trace.complete
        trace.add(chunk)
    reference = elbo_terms(model, model.schedule, to_model_space(digit), samples=1, seed=3)
    assert trace.terms().total == pytest.approx(reference.total, rel=1e-5)
    for i in (1, 6, 19):
        step = trace.step(i, None)  # from the job's eps_theta, no model needed
        assert float(step.term[0]) == pytest.approx(trace.term[i], rel=1e-5)
        err = (trace.noise[i] - step.eps_theta[0]) ** 2
        expected = kl_constant(model.schedule, i) + eps_weight(model.schedule, i) * err
        np.testing.assert_allclose(step.per_pixel[0].numpy(), expected.numpy(), rtol=2e-3, atol=1e-7)
        fresh = BoundTrace(model.schedule, digit, seed=3).step(i, model)  # one pass, the same draw
        np.testing.assert_allclose(fresh.per_pixel.numpy(), step.per_pixel.numpy(), rtol=1e-3, atol=1e-4)
    assert BoundTrace(model.schedule, digit).step(4, None) is None  # neither the job nor a model: nothing to show
