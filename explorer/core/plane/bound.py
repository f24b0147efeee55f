"""The 2-D DDPM's likelihood: only a bound. Its variational bound on −log p(x₀) in nats (Ho et al. 2020,
eq. 5), for points in the plane, so the family table can set it beside the flows' exact NLL:

    L = L_T + Σ_{t=2..T} L_{t−1} + L_0 ≥ −log p_θ(x₀)
    L_T     = KL(q(x_T | x₀) ‖ N(0, I))
    L_{t−1} = KL(q(x_{t−1} | x_t, x₀) ‖ p_θ(x_{t−1} | x_t)),  p_θ = N(μ_θ, β_t I)  (their eq. 11 for μ_θ)
    L_0     = −log N(x₀; μ_θ(x₁, 1), β_1 I)

The data are continuous here, so the decoder is the Gaussian density itself, not the image paper's
discretised one, and the bound is on a density in nats, the same units as a flow's −log p. Each
L_{t−1} is taken at one draw of x_t per point (every t is summed, none sampled), the MNIST bound's
choice of σ_t² = β_t (``explorer/core/diffusion/elbo.py``) and its helpers.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from explorer.core.diffusion.elbo import kl_gaussian, p_mean, q_posterior
from explorer.core.diffusion.schedule import make_schedule
from explorer.core.plane.models import EpsNet


@torch.no_grad()
def ddpm_nll_bound(net: EpsNet, points: np.ndarray, seed: int = 0) -> np.ndarray:
    """The bound L ≥ −log p(x₀) in nats (float64, (N,)) at points (N, 2), one noise draw per point and t."""
    schedule = make_schedule("linear", net.cfg.T)
    generator = torch.Generator().manual_seed(seed)
    x0 = torch.as_tensor(np.asarray(points, np.float64))
    abar_T = float(schedule.alphas_cumprod[-1])
    total = kl_gaussian(math.sqrt(abar_T) * x0, 1 - abar_T, torch.zeros_like(x0), 1.0).sum(1)  # L_T
    for i in range(net.cfg.T):  # index i is the paper's t = i + 1
        abar = float(schedule.alphas_cumprod[i])
        eps = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
        x_t = math.sqrt(abar) * x0 + math.sqrt(1 - abar) * eps  # (N, 2)
        eps_hat = net(x_t.float(), torch.full((len(x0),), i, dtype=torch.long)).double()
        mean = p_mean(schedule, eps_hat, x_t, i)
        beta = float(schedule.betas[i])
        if i == 0:  # L_0: the decoder's Gaussian density at x₀
            total += (0.5 * (x0 - mean) ** 2 / beta + 0.5 * math.log(2 * math.pi * beta)).sum(1)
        else:
            posterior_mean, posterior_var = q_posterior(schedule, x0, x_t, i)
            total += kl_gaussian(posterior_mean, posterior_var, mean, beta).sum(1)
    return total.numpy()
