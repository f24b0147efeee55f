"""The VAE's maths against closed forms, and its training loop on tiny configs."""

import math

import numpy as np
import pytest
import torch

from explorer.core.runtime.errors import TrainingError
from explorer.core.vae import (
    VAE,
    VAEConfig,
    bernoulli_log_likelihood,
    decode_images,
    grid_quantiles,
    kl_gaussian,
    latent_grid,
    reparameterize,
    train_vae,
)

TINY = dict(hidden=32, train_limit=1024, batch_size=64)


def test_kl_gaussian_matches_the_closed_form_by_hand():
    mu = torch.tensor([[0.5, -1.0]])
    sigma = torch.tensor([[0.5, 2.0]])
    # KL(N(mu, s^2) || N(0, 1)) = 1/2 (-log s^2 + mu^2 + s^2 - 1), summed over dimensions
    expected = sum(0.5 * (-math.log(s**2) + m**2 + s**2 - 1) for m, s in [(0.5, 0.5), (-1.0, 2.0)])
    assert kl_gaussian(mu, torch.log(sigma**2)).item() == pytest.approx(expected, rel=1e-6)
    assert kl_gaussian(torch.zeros(1, 2), torch.zeros(1, 2)).item() == 0.0


def test_kl_gaussian_agrees_with_a_monte_carlo_estimate():
    mu, logvar = torch.tensor([[0.7, -0.3]]), torch.tensor([[-1.0, 0.4]])
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    z = q.sample((200_000,))
    p = torch.distributions.Normal(0.0, 1.0)
    mc = (q.log_prob(z) - p.log_prob(z)).sum(-1).mean().item()
    assert kl_gaussian(mu, logvar).item() == pytest.approx(mc, abs=0.01)


def test_bernoulli_log_likelihood_is_the_sum_of_pixel_log_probabilities():
    logits = torch.tensor([[0.0, 2.0, -1.0]])
    x = torch.tensor([[1.0, 0.0, 0.0]])
    p = torch.sigmoid(logits)[0]
    expected = math.log(p[0]) + math.log(1 - p[1]) + math.log(1 - p[2])
    assert bernoulli_log_likelihood(logits, x).item() == pytest.approx(expected, rel=1e-6)


def test_reparameterize_has_the_right_statistics_and_passes_gradients():
    mu = torch.tensor([1.0, -2.0], requires_grad=True)
    logvar = torch.tensor([0.0, math.log(4.0)], requires_grad=True)
    g = torch.Generator().manual_seed(0)
    z = reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2), g)
    assert z.mean(0).tolist() == pytest.approx([1.0, -2.0], abs=0.02)
    assert z.std(0).tolist() == pytest.approx([1.0, 2.0], abs=0.02)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None


def test_grid_quantiles_are_normal_quantiles():
    q = grid_quantiles(3)
    assert q.tolist() == pytest.approx([-1.6448536, 0.0, 1.6448536], abs=1e-6)


def test_latent_grid_places_z1_rightwards_and_z2_upwards():
    torch.manual_seed(0)
    model = VAE(hidden=16).eval()
    q = grid_quantiles(4)
    grid = latent_grid(model, 4)
    assert grid.shape == (112, 112)
    top_left = decode_images(model, np.array([[q[0], q[-1]]]))[0]
    bottom_right = decode_images(model, np.array([[q[-1], q[0]]]))[0]
    np.testing.assert_allclose(grid[:28, :28], top_left, rtol=1e-5)
    np.testing.assert_allclose(grid[-28:, -28:], bottom_right, rtol=1e-5)


def test_training_lowers_the_loss_and_returns_a_checkpoint():
    training = train_vae(VAEConfig(epochs=3, **TINY), device="cpu", yield_every_s=0.0)
    snaps = []
    try:
        while True:
            snaps.append(next(training))
    except StopIteration as done:
        ckpt = done.value
    tests = [s.test for s in snaps if s.test]
    assert len(tests) == 3
    assert tests[-1]["neg_elbo"] < tests[0]["neg_elbo"] - 5
    assert snaps[-1].step == snaps[-1].total_steps == 3 * 16
    with_latents = [s for s in snaps if s.latents is not None]
    assert with_latents and with_latents[-1].latents.shape == (10000, 2)
    assert ckpt.kind == "vae" and ckpt.info["steps"] == 48
    assert ckpt.info["metrics"]["test_neg_elbo"] == pytest.approx(tests[-1]["neg_elbo"])
    assert [h["epoch"] for h in ckpt.info["history"]] == [1, 2, 3]


def test_a_diverging_loss_stops_training_with_a_message():
    # The largest learning rate the config allows, with a heavy KL weight, diverges at once.
    training = train_vae(VAEConfig(epochs=2, lr=10.0, beta=100.0, **TINY), device="cpu", yield_every_s=0.0)
    with pytest.raises(TrainingError, match="NaN or infinite"):
        for _ in training:
            pass
