"""The DDPM's variational bound on one digit, term by term (Ho et al. 2020, eq. 5):

    L = L_T + sum_{t=2..T} L_{t-1} + L_0 >= -log p_theta(x_0)
    L_T     = KL(q(x_T | x_0) || N(0, I))                                   no parameters
    L_{t-1} = E_q KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t))        (eq. 6, 7)
    L_0     = E_q -log p_theta(x_0 | x_1)                                    (the discrete decoder, section 3.3)

p_theta(x_{t-1} | x_t) = N(mu_theta, sigma_t^2 I) with
mu_theta = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t) (eq. 11) and sigma_t^2 = beta_t, the choice of Ho et al. that gives the decoder at t = 1 a variance (beta~_1 is 0).
The bound takes the network's x_0 unclipped: clipping is a sampling device, not part of the model's density.
Each term's expectation over x_t is a Monte-Carlo average over ``samples`` draws. Timesteps are 0-based in code
(index i is the paper's t = i + 1), pixels on 256 levels scaled to [-1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.diffusion.schedule import NoiseSchedule

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t) -> eps_theta, any (B, ...) shape
BIN = 1.0 / 255.0  # half a bin of the 256 levels on [-1, 1] (Ho et al. section 3.3)


def q_posterior(schedule: NoiseSchedule, x0: torch.Tensor, x_t: torch.Tensor, i: int) -> tuple[torch.Tensor, float]:
    """q(x_{t-1} | x_t, x_0) = N(mu~, beta~ I) at index i (eq. 6, 7): its mean and variance."""
    mean = schedule.posterior_mean_coef1[i].item() * x0 + schedule.posterior_mean_coef2[i].item() * x_t
    return mean, schedule.posterior_variance[i].item()


def p_mean(schedule: NoiseSchedule, eps: torch.Tensor, x_t: torch.Tensor, i: int) -> torch.Tensor:
    """mu_theta(x_t, t) = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t)   (eq. 11)."""
    beta, abar = schedule.betas[i].item(), schedule.alphas_cumprod[i].item()
    return (x_t - beta / math.sqrt(1 - abar) * eps) / math.sqrt(1 - beta)


def kl_gaussian(mean1: torch.Tensor, var1: float, mean2: torch.Tensor, var2: float) -> torch.Tensor:
    """KL(N(mean1, var1) || N(mean2, var2)) per element, in nats."""
    return 0.5 * (math.log(var2 / var1) + (var1 + (mean1 - mean2) ** 2) / var2 - 1.0)


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def discretized_gaussian_log_likelihood(
    x0: torch.Tensor, mean: torch.Tensor, var: float | torch.Tensor
) -> torch.Tensor:
    """log of N(mean, var)'s mass on x0's bin [x0 - 1/255, x0 + 1/255], the end bins open to +-inf (section 3.3)."""
    std = var.sqrt() if isinstance(var, torch.Tensor) else math.sqrt(var)
    upper = torch.where(x0 > 1 - 1e-3, torch.ones_like(x0), _normal_cdf((x0 + BIN - mean) / std))
    lower = torch.where(x0 < -1 + 1e-3, torch.zeros_like(x0), _normal_cdf((x0 - BIN - mean) / std))
    return torch.log((upper - lower).clamp_min(1e-12))


@dataclass(frozen=True)
class ELBOTerms:
    """The bound's terms on one digit, in nats: L_T, L_{t-1} for t = 2..T, and L_0."""

    prior: float  # L_T
    steps: np.ndarray  # (T - 1,) L_{t-1} for the paper's t = 2..T (index i = t - 1 = 1..T-1)
    decoder: float  # L_0
    dims: int  # pixels per digit, for bits/dim

    @property
    def total(self) -> float:
        """L, an upper bound on -log p_theta(x_0) in nats (eq. 5)."""
        return self.prior + float(self.steps.sum()) + self.decoder

    @property
    def bits_per_dim(self) -> float:
        return self.total / (self.dims * math.log(2))


def forward_noise(T: int, shape: tuple[int, ...], *, samples: int = 1, seed: int = 0) -> torch.Tensor:
    """The draws eps of x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps the bound averages over, (T * samples, *shape),
    draw k at timestep k // samples: made in one call, so that any timestep's x_t can be made again alone."""
    return torch.randn((T * samples, *shape), generator=torch.Generator().manual_seed(seed))


@dataclass(frozen=True)
class StepTerms:
    """The bound's term at each of a batch of timesteps, each on its own draw of x_t, pixel by pixel, with what
    made it: the two Gaussians q(x_{t-1} | x_t, x_0) and p_theta(x_{t-1} | x_t) of every pixel. All on the CPU."""

    x_t: torch.Tensor  # (b, ...)
    eps_theta: torch.Tensor  # (b, ...) the network's noise prediction
    post_mean: torch.Tensor  # (b, ...) mu~_t; its variance beta~_t is the schedule's (0 at t = 1: q is x_0 itself)
    p_mean: torch.Tensor  # (b, ...) mu_theta; its variance sigma_t^2 = beta_t
    per_pixel: torch.Tensor  # (b, ...) each pixel's KL in nats, or at t = 1 its -log p_theta(x_0 | x_1)
    eps_mse: torch.Tensor  # (b,) ||eps - eps_theta||^2 summed over the pixels: the eps-objective's term

    @property
    def term(self) -> torch.Tensor:
        """(b,) L_{t-1}, or L_0 where t = 1, in nats: the pixels' terms summed, in float64."""
        return self.per_pixel.flatten(1).double().sum(1)


def step_terms(
    model: EpsModel, schedule: NoiseSchedule, x0: torch.Tensor, i: torch.Tensor, eps: torch.Tensor
) -> StepTerms:
    """The bound's terms at the 0-based timesteps ``i`` (b,) for digit ``x0`` (1, ...), x_t made from the draws
    ``eps`` (b, ...): one network pass of the batch."""
    device = x0.device
    shape = (-1, *([1] * (x0.dim() - 1)))

    def at(values: torch.Tensor) -> torch.Tensor:
        return values[i].reshape(shape).to(device)

    eps = eps.to(device)
    abar, beta = at(schedule.alphas_cumprod), at(schedule.betas)
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps  # x_t ~ q(x_t | x_0), eq. 4
    eps_theta = model(x_t, i.to(device))
    mean = (x_t - beta / (1 - abar).sqrt() * eps_theta) / (1 - beta).sqrt()  # mu_theta, eq. 11
    var = beta  # sigma_t^2 = beta_t
    # L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)) for t >= 2 (eq. 5-7) ...
    post_mean = at(schedule.posterior_mean_coef1) * x0 + at(schedule.posterior_mean_coef2) * x_t
    post_var = at(schedule.posterior_variance).clamp_min(1e-20)
    kl = 0.5 * (torch.log(var / post_var) + (post_var + (post_mean - mean) ** 2) / var - 1.0)
    # ... and L_0 = -log p_theta(x_0 | x_1), the discrete decoder, where t = 1.
    decoder = -discretized_gaussian_log_likelihood(x0.expand_as(mean), mean, var)
    per_pixel = torch.where(at(torch.arange(schedule.T)) == 0, decoder, kl)
    eps_mse = ((eps - eps_theta) ** 2).flatten(1).double().sum(1)
    cpu = [v.cpu() for v in (x_t, eps_theta, post_mean.expand_as(mean), mean, per_pixel, eps_mse)]
    return StepTerms(*cpu)


def prior_term(schedule: NoiseSchedule, x0: torch.Tensor) -> float:
    """L_T = KL(q(x_T | x_0) || N(0, I)) in closed form: q(x_T | x_0) = N(sqrt(abar_T) x_0, (1 - abar_T) I)."""
    abar_T = schedule.alphas_cumprod[-1].item()
    return float(kl_gaussian(math.sqrt(abar_T) * x0, 1 - abar_T, torch.zeros_like(x0), 1.0).sum())


@torch.inference_mode()
def elbo_terms(
    model: EpsModel, schedule: NoiseSchedule, x0: torch.Tensor, *, samples: int = 1, seed: int = 0, batch: int = 250
) -> ELBOTerms:
    """Every term of the bound for one digit ``x0`` (1, ...) in [-1, 1], each L_{t-1} and L_0 averaged over
    ``samples`` draws of x_t ~ q(x_t | x_0); T * samples network passes, ``batch`` at a time."""
    T = schedule.T
    noise = forward_noise(T, tuple(x0.shape[1:]), samples=samples, seed=seed)
    index = torch.arange(T).repeat_interleave(samples)  # (T * samples,) timesteps, each `samples` times
    per_step = torch.zeros(T, dtype=torch.float64)
    for start in range(0, len(index), batch):
        i = index[start : start + batch]
        per_step.index_add_(0, i, step_terms(model, schedule, x0, i, noise[start : start + batch]).term / samples)
    return ELBOTerms(prior_term(schedule, x0), per_step[1:].numpy(), float(per_step[0]), x0[0].numel())


@torch.inference_mode()
def chain_bound_estimate(
    model: EpsModel, schedule: NoiseSchedule, x0: torch.Tensor, *, chains: int, seed: int = 0
) -> tuple[float, float]:
    """The same bound estimated directly, E_q[-log p_theta(x_{0:T}) + log q(x_{1:T} | x_0)] over ``chains`` forward
    chains x_1 ... x_T drawn step by step (eq. 2, 3): (mean, standard error) in nats. Its expectation is L."""
    g = torch.Generator().manual_seed(seed)
    x0s = x0.expand(chains, *x0.shape[1:])
    x = x0s
    log_ratio = torch.zeros(chains, dtype=torch.float64)  # log q(x_{1:T} | x_0) - log p(x_{0:T}), summed as we go
    previous = x0s
    for i in range(schedule.T):
        beta = schedule.betas[i].item()
        x = math.sqrt(1 - beta) * previous + math.sqrt(beta) * torch.randn(x0s.shape, generator=g)  # q(x_t | x_{t-1})
        log_q = -0.5 * (((x - math.sqrt(1 - beta) * previous) ** 2) / beta + math.log(2 * math.pi * beta))
        log_ratio += log_q.flatten(1).sum(1).double()
        mean = p_mean(schedule, model(x, torch.full((chains,), i)), x, i)
        if i == 0:  # p_theta(x_0 | x_1)
            log_p = discretized_gaussian_log_likelihood(x0s, mean, beta)
        else:  # p_theta(x_{t-1} | x_t) at the previous state
            log_p = -0.5 * (((previous - mean) ** 2) / beta + math.log(2 * math.pi * beta))
        log_ratio -= log_p.flatten(1).sum(1).double()
        previous = x
    log_ratio -= (-0.5 * (x**2 + math.log(2 * math.pi))).flatten(1).sum(1).double()  # p(x_T) = N(0, I)
    return float(log_ratio.mean()), float(log_ratio.std() / math.sqrt(chains))
