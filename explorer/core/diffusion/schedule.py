"""The forward process of DDPM (Ho et al. 2020): the variance schedule and q(x_t | x_0) in closed form.

Timesteps are 0-based in code: t = 0..T-1 here is the paper's t = 1..T, so ``betas[0]``
is the paper's beta_1, and "abar_{t-1}" at t = 0 is abar_0 = 1 (no noise).
Pixels are scaled from [0, 1] to [-1, 1] for training and sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """The variance schedule beta_t and every quantity derived from it, float32 tensors of shape (T,)."""

    kind: str
    betas: torch.Tensor
    alphas: torch.Tensor  # alpha_t = 1 - beta_t
    alphas_cumprod: torch.Tensor  # abar_t = prod_{s<=t} alpha_s
    alphas_cumprod_prev: torch.Tensor  # abar_{t-1}, with abar_{-1} = 1
    sqrt_alphas_cumprod: torch.Tensor
    sqrt_one_minus_alphas_cumprod: torch.Tensor
    posterior_variance: torch.Tensor  # beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t)   (eq. 7)
    posterior_mean_coef1: torch.Tensor  # multiplies x_0 in mu~_t   (eq. 7)
    posterior_mean_coef2: torch.Tensor  # multiplies x_t in mu~_t   (eq. 7)

    @property
    def T(self) -> int:
        return len(self.betas)

    def snr(self, t: int | torch.Tensor) -> torch.Tensor:
        """Signal-to-noise ratio abar_t / (1 - abar_t), decreasing in t (Kingma et al. 2021)."""
        abar = self.alphas_cumprod[t]
        return abar / (1 - abar)


LINEAR_T = 1000  # the T that Ho et al.'s 1e-4 ... 0.02 was set for


def linear_betas(T: int) -> np.ndarray:
    """Ho et al.'s schedule, beta rising linearly from 1e-4 to 0.02 (section 4) at T = 1000, float64 (T,).

    At another T both ends are scaled by 1000 / T, as improved-DDPM's ``get_named_beta_schedule`` does, so the
    sum of the betas, and with it abar_T ~ exp(-sum beta) ~ 4e-5, stays what it is at T = 1000: x_T is close to
    N(0, I) for every T (unscaled, T = 100 would leave abar_T ~ 0.36). Below T = 20 the last betas would pass 1;
    they are clipped to 0.999, as the cosine schedule's are. At T = 1000 the schedule is Ho et al.'s, bit for bit.
    """
    scale = LINEAR_T / T
    return np.clip(np.linspace(1e-4 * scale, 0.02 * scale, T, dtype=np.float64), 0.0, 0.999)


def cosine_alphas_cumprod(T: int, s: float = 0.008) -> np.ndarray:
    """Nichol & Dhariwal's eq. 17 before clipping: abar_t = f(t) / f(0), f(t) = cos^2((t/T + s)/(1 + s) pi/2).

    Returned for the paper's t = 1..T, i.e. index i holds f(i + 1) / f(0), float64 (T,).
    """
    steps = np.arange(T + 1, dtype=np.float64)
    f = np.cos((steps / T + s) / (1 + s) * math.pi / 2) ** 2  # (T + 1,)
    return f[1:] / f[0]


def cosine_betas(T: int, s: float = 0.008) -> np.ndarray:
    """beta_t = 1 - abar_t / abar_{t-1} from the cosine abar, clipped to 0.999 to avoid a singularity at t = T."""
    abar = np.concatenate([[1.0], cosine_alphas_cumprod(T, s)])  # (T + 1,) with abar_0 = 1
    return np.clip(1 - abar[1:] / abar[:-1], 0.0, 0.999)


def _float32(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def make_schedule(kind: str = "linear", T: int = 1000) -> NoiseSchedule:
    """Build the 'linear' or 'cosine' schedule of T steps, computed in float64 and stored as float32."""
    if kind == "linear":
        betas = linear_betas(T)
    elif kind == "cosine":
        betas = cosine_betas(T)
    else:
        raise ValueError(f"Unknown noise schedule {kind!r}; choose 'linear' or 'cosine'.")
    alphas = 1.0 - betas
    abar = np.cumprod(alphas)
    abar_prev = np.concatenate([[1.0], abar[:-1]])
    return NoiseSchedule(
        kind=kind,
        betas=_float32(betas),
        alphas=_float32(alphas),
        alphas_cumprod=_float32(abar),
        alphas_cumprod_prev=_float32(abar_prev),
        sqrt_alphas_cumprod=_float32(np.sqrt(abar)),
        sqrt_one_minus_alphas_cumprod=_float32(np.sqrt(1.0 - abar)),
        posterior_variance=_float32(betas * (1.0 - abar_prev) / (1.0 - abar)),
        posterior_mean_coef1=_float32(betas * np.sqrt(abar_prev) / (1.0 - abar)),
        posterior_mean_coef2=_float32((1.0 - abar_prev) * np.sqrt(alphas) / (1.0 - abar)),
    )


def _per_sample(values: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """values[t] for a (B,) batch of timesteps, shaped (B, 1, 1, 1) to broadcast over x."""
    return values.to(x.device)[t].reshape(-1, *([1] * (x.dim() - 1)))


def q_sample(schedule: NoiseSchedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Sample x_t ~ q(x_t | x_0) in one jump: sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (eq. 4)."""
    return (
        _per_sample(schedule.sqrt_alphas_cumprod, t, x0) * x0
        + _per_sample(schedule.sqrt_one_minus_alphas_cumprod, t, x0) * noise
    )  # (B, 1, 28, 28)
