"""The IWAE bound: exact on hand-made weights, the ELBO at K = 1 in expectation, rising with K towards the
log p(x) that quadrature over the 2-D latent plane gives."""

import math

import pytest
import torch

from explorer.core.vae import VAE, elbo_terms, iwae_bound, iwae_bounds, log_importance_weights
from explorer.core.vae.iwae import log_normal


def tiny_vae(seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return VAE(latent_dim=2, hidden=32).eval()


def a_digit() -> torch.Tensor:
    """(1, 784) a binarised bar, so the decoder has something to explain."""
    x = torch.zeros(28, 28)
    x[6:22, 12:16] = 1.0
    return x.reshape(1, 784)


def log_px_by_quadrature(model: VAE, x: torch.Tensor, half_width: float = 7.0, n: int = 141) -> float:
    """log p(x) = log ∫ p(x|z) p(z) dz on an n × n grid over [−half_width, half_width]²."""
    axis = torch.linspace(-half_width, half_width, n)
    z = torch.cartesian_prod(axis, axis)  # (n², 2)
    cell = (axis[1] - axis[0]).item() ** 2
    with torch.no_grad():
        logits = model.decode(z)
        log_joint = -torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="none"
        ).sum(-1) + log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
    return (torch.logsumexp(log_joint, 0) + math.log(cell)).item()


def test_log_normal_matches_torch_distributions():
    z, mu, logvar = torch.tensor([[0.3, -1.2]]), torch.tensor([[0.1, 0.4]]), torch.tensor([[-0.5, 0.7]])
    expected = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    assert log_normal(z, mu, logvar).item() == pytest.approx(expected.item(), rel=1e-6)


def test_iwae_bound_on_hand_made_weights():
    log_w = torch.log(torch.tensor([[1.0, 3.0, 2.0, 6.0]]))
    assert iwae_bound(log_w, 4).item() == pytest.approx(math.log(3.0))  # the mean weight is 3
    assert iwae_bound(log_w, 2).item() == pytest.approx((math.log(2.0) + math.log(4.0)) / 2)
    assert iwae_bound(log_w, 1).item() == pytest.approx(torch.log(torch.tensor([1.0, 3.0, 2.0, 6.0])).mean().item())
    with pytest.raises(ValueError, match="must divide"):
        iwae_bound(log_w, 3)


def test_k_1_is_the_elbo_in_expectation():
    model, x = tiny_vae(), a_digit()
    n = 5_000
    log_w = log_importance_weights(model, x, n, torch.Generator().manual_seed(1))[0]
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        log_px_z, kl = elbo_terms(model, x.expand(n, -1), g)
    elbo = log_px_z - kl  # the training loss's estimator: one z per draw, the KL in closed form
    standard_error = math.sqrt(log_w.var().item() / n + elbo.var().item() / n)
    assert iwae_bound(log_w[None], 1).item() == pytest.approx(elbo.mean().item(), abs=4 * standard_error)


def test_the_bound_rises_with_k_and_closes_on_log_p_x():
    model, x = tiny_vae(), a_digit()
    bounds = iwae_bounds(model, x, ks=(1, 10, 100, 1000))
    log_px = log_px_by_quadrature(model, x)
    assert bounds[1] < bounds[10] < bounds[100] < bounds[1000]
    assert bounds[1000] <= log_px + 0.05  # a lower bound (up to the sampling noise of one group)
    assert log_px - bounds[1000] < 0.5 * (log_px - bounds[1])  # most of the ELBO's gap is closed


def test_the_bounds_are_reproducible_from_the_seed():
    model, x = tiny_vae(), torch.cat([a_digit(), a_digit().flip(-1)])
    assert iwae_bounds(model, x, ks=(1, 10), seed=3) == iwae_bounds(model, x, ks=(1, 10), seed=3)
    assert iwae_bounds(model, x, ks=(1, 10), seed=3) != iwae_bounds(model, x, ks=(1, 10), seed=4)
