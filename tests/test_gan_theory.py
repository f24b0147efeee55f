"""The GAN's optimal discriminator and its JS link (Goodfellow et al. 2014, section 4) on known cases."""

import math

import numpy as np
import pytest
import torch

from explorer.core.gan.losses import discriminator_loss, generator_loss, ring_of_gaussians
from explorer.core.gan.theory import (
    LOG4,
    equilibrium_d_loss,
    equilibrium_output,
    game_value,
    generator_logit_gradient,
    js_divergence_on_grid,
    kde_density,
    kde_on_grid,
    optimal_discriminator,
    ring_density,
    toy_theory,
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


def test_the_grid_kde_is_the_kde_and_the_equilibrium_moves_with_smoothing():
    samples = np.random.default_rng(1).normal(0.5, 0.8, (300, 2))
    axis = np.linspace(-3, 3, 17)
    y, x = np.meshgrid(axis, axis, indexing="ij")  # row i at y_i, column j at x_j
    exact = kde_density(np.stack([x.ravel(), y.ravel()], 1), samples, bandwidth=0.3).reshape(17, 17)
    np.testing.assert_allclose(kde_on_grid(samples, axis, 0.3), exact, rtol=1e-9)
    assert equilibrium_d_loss(0.0) == pytest.approx(2 * math.log(2))
    for s in (0.0, 0.1, 0.3):
        d = equilibrium_output(s)
        assert d == pytest.approx(optimal_discriminator(np.ones(1), np.ones(1), s)[0])
        # D's own loss (losses.py), with D's logit at the equilibrium on real and fake alike
        logit = torch.tensor([math.log(d / (1 - d))])
        assert float(discriminator_loss(logit, logit, s)) == pytest.approx(equilibrium_d_loss(s), rel=1e-6)


def test_toy_theory_knows_a_matching_g_from_a_collapsed_one():
    real = ring_of_gaussians(4000, torch.Generator().manual_seed(3)).numpy()
    matched = toy_theory(real, 3.0, 64, smoothing=0.2)
    near = ring_density(np.array([[2.0, 0.0], [0.0, -2.0]]))
    assert near.min() > 0 and matched.js < 0.01
    assert np.abs(matched.d_star - 0.4).max() < 0.08  # (1 - s) / 2 wherever the data is, and where nothing is
    collapsed = np.random.default_rng(0).normal(0.0, 0.05, (512, 2))  # G's points in one clump at the centre
    apart = toy_theory(collapsed, 3.0, 64, heatmap=np.full((64, 64), 0.5))
    assert apart.js == pytest.approx(math.log(2), abs=1e-3)
    assert apart.value_at_optimum == pytest.approx(0.0, abs=2e-3)  # -log 4 + 2 log 2
    assert apart.value == pytest.approx(-LOG4) and apart.value <= apart.value_at_optimum  # D = 1/2 is no D*
    assert apart.d_star[32, 32] < 0.01 and apart.d_star[32, 53] > 0.99  # the clump: fake; a mode (2, 0): real
