"""The GAN's optimal discriminator and its JS link (Goodfellow et al. 2014, section 4) on known cases."""

import math

import numpy as np
import pytest
import torch

from explorer.core.gan.losses import generator_loss, ring_of_gaussians
from explorer.core.gan.theory import (
    LOG4,
    game_value,
    generator_logit_gradient,
    js_divergence_on_grid,
    kde_density,
    optimal_discriminator,
    ring_density,
    value_at_optimum,
)

X = np.linspace(-8, 8, 3201)
CELL = X[1] - X[0]


def normal(x, mu, sigma=1.0):
    return np.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))


def test_d_star_on_two_gaussians_is_a_sigmoid():
    """p_data = N(0, 1), p_g = N(1, 1): p_g / p_data = exp(x - 1/2), so D*(x) = sigmoid(1/2 - x)."""
    d = optimal_discriminator(normal(X, 0), normal(X, 1))
    np.testing.assert_allclose(d, 1 / (1 + np.exp(X - 0.5)), rtol=1e-9)
    # From G's samples, by the kernel density estimate: close to the exact D* where the data is.
    samples = np.random.default_rng(0).normal(1.0, 1.0, (4000, 1))
    near = np.abs(X) < 2
    estimated = optimal_discriminator(normal(X[near], 0), kde_density(X[near, None], samples))
    assert np.abs(estimated - d[near]).max() < 0.05
    # One-sided label smoothing moves the equilibrium from 1/2 to (1 - s) / 2.
    assert np.allclose(optimal_discriminator(normal(X, 0), normal(X, 0), smoothing=0.1), 0.45)


def test_the_value_at_d_star_is_minus_log_4_plus_twice_js():
    for shift in (0.0, 0.5, 2.0, 12.0):
        p, q = normal(X, -shift / 2), normal(X, shift / 2)
        js = js_divergence_on_grid(p, q, CELL)
        assert game_value(p, q, optimal_discriminator(p, q), CELL) == pytest.approx(value_at_optimum(js), abs=1e-6)
        # and D* is the best D: any other does worse
        assert game_value(p, q, np.full_like(p, 0.5), CELL) <= value_at_optimum(js) + 1e-9
    assert js_divergence_on_grid(normal(X, 0), normal(X, 0), CELL) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence_on_grid(normal(X, -5, 0.5), normal(X, 5, 0.5), CELL) == pytest.approx(math.log(2), abs=1e-6)
    assert value_at_optimum(0.0) == -LOG4


def test_the_ring_density_matches_its_sampler():
    points = ring_of_gaussians(1500, torch.Generator().manual_seed(0), sigma=0.3).numpy()
    axis = np.linspace(-3, 3, 61)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    density = ring_density(grid, sigma=0.3)
    assert density.sum() * (axis[1] - axis[0]) ** 2 == pytest.approx(1.0, abs=1e-3)
    kde = kde_density(grid, points, bandwidth=0.1)
    assert js_divergence_on_grid(density, kde, (axis[1] - axis[0]) ** 2) < 0.03
    far = ring_density(grid, sigma=0.3)[::-1]  # the ring turned by 180 degrees and shifted: another density
    assert js_divergence_on_grid(density, np.roll(far, 7), (axis[1] - axis[0]) ** 2) > 0.1


def test_the_gradient_reaching_g_vanishes_for_minimax_where_d_rejects_the_fakes():
    logits = torch.tensor([-8.0, -2.0, 0.0, 3.0], requires_grad=True)
    for objective in ("minimax", "non_saturating"):
        (grad,) = torch.autograd.grad(generator_loss(logits, objective) * len(logits), logits)
        expected = generator_logit_gradient(torch.sigmoid(logits).detach().numpy(), objective)
        np.testing.assert_allclose(grad.abs().numpy(), expected, rtol=1e-5)
    d_rejects = np.array([1e-3])
    assert generator_logit_gradient(d_rejects, "minimax") < 0.01
    assert generator_logit_gradient(d_rejects, "non_saturating") > 0.99
