"""Samplers for the 2-D DDPM, all from the same starting noise and honouring a number of network
evaluations (NFE).

Timesteps are 0-based (t = 0..T−1 is the paper's 1..T); t = −1 stands for ᾱ = 1, the data. Every sampler
walks the same grid of K + 1 timesteps, spaced evenly in √(t + 1) (``grid``).
- ``ddpm``: ancestral sampling (Ho et al. Algorithm 2) on K of the T steps, which is DDIM with η = 1
  (Song et al. 2021 §4.1: η = 1 makes the generative process the DDPM's, with the posterior variance).
- ``ddim``: DDIM (their eq. 12) with σ_t(η) of eq. 16.
- ``euler`` / ``heun``: the probability-flow ODE in the coordinates y = x/√ᾱ, σ = √((1−ᾱ)/ᾱ), where it
  reads dy/dσ = ε̂(x, t) (Song et al. 2021 eq. 14; Karras et al. 2022): Euler on it is exactly DDIM with
  η = 0, Heun is its second-order correction (the last step, to σ = 0, is an Euler step, as in EDM).
So the score net's σ and the DDPM's t match by σ² = (1 − ᾱ_t)/ᾱ_t, in x/√ᾱ_t coordinates.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from explorer.core.plane.langevin import MAX_FRAMES, Trajectory
from explorer.core.plane.models import EpsNet

SAMPLERS = ("ddpm", "ddim", "euler", "heun")
NFE_LADDER = (1, 2, 5, 10, 20, 50, 100, 1000)


def grid(T: int, steps: int) -> list[int]:
    """``steps`` + 1 distinct timesteps from T − 1 down to −1 (the data), descending, spaced evenly in √(t + 1)
    (DDIM's "quadratic" sequence, Song et al. 2021): a small budget's steps go where σ_t is small, where a
    thin shape is decided and one long last step would pull every point onto the posterior mean's curve."""
    u = np.linspace(1.0, 0.0, steps + 1)
    ts = (T * u**2 - 1).round().astype(int)
    for i in range(steps - 1, -1, -1):  # at most one step per timestep: keep them distinct
        ts[i] = max(ts[i], ts[i + 1] + 1)
    return [int(t) for t in ts]


def steps_for(sampler: str, nfe: int) -> int:
    """How many steps a sampler takes within ``nfe`` evaluations: Heun's N steps cost 2N − 1."""
    return (nfe + 1) // 2 if sampler == "heun" else nfe


def nfe_of(sampler: str, steps: int) -> int:
    return 2 * steps - 1 if sampler == "heun" else steps


def _abar(net: EpsNet, t: int) -> float:
    return 1.0 if t < 0 else float(net.alphas_cumprod[t])


def _eps(net: EpsNet, x: torch.Tensor, t: int) -> torch.Tensor:
    return net.at_step(x, t)


def ddim_step(
    net: EpsNet, x: torch.Tensor, t: int, t_prev: int, eta: float, generator: torch.Generator
) -> torch.Tensor:
    """x_t → x_{t_prev} by DDIM's eq. 12 (η = 1: DDPM's ancestral step over the same gap)."""
    abar, abar_prev = _abar(net, t), _abar(net, t_prev)
    eps = _eps(net, x, t)
    # 1. "predicted x_0" (eq. 9 inverted), no clipping in the plane.
    x0 = (x - math.sqrt(1 - abar) * eps) / math.sqrt(abar)
    # 2. σ_t(η) (eq. 16) and 3. the direction pointing to x_t.
    sigma = eta * math.sqrt((1 - abar_prev) / (1 - abar)) * math.sqrt(1 - abar / abar_prev)
    x_prev = math.sqrt(abar_prev) * x0 + math.sqrt(max(1 - abar_prev - sigma**2, 0.0)) * eps
    if sigma > 0:
        x_prev = x_prev + sigma * torch.randn(x.shape, generator=generator)  # 4. fresh noise
    return x_prev


def ode_step(net: EpsNet, x: torch.Tensor, t: int, t_prev: int, heun: bool) -> tuple[torch.Tensor, int]:
    """One Euler or Heun step of dy/dσ = ε̂ from t to t_prev; returns x_{t_prev} and the NFE spent."""
    abar, abar_prev = _abar(net, t), _abar(net, t_prev)
    s, s_prev = math.sqrt((1 - abar) / abar), math.sqrt((1 - abar_prev) / abar_prev)
    eps = _eps(net, x, t)
    y_prev = x / math.sqrt(abar) + (s_prev - s) * eps  # Euler
    if not heun or t_prev < 0:
        return math.sqrt(abar_prev) * y_prev, 1
    eps_prev = _eps(net, math.sqrt(abar_prev) * y_prev, t_prev)
    y_prev = x / math.sqrt(abar) + (s_prev - s) * 0.5 * (eps + eps_prev)  # trapezoid: Heun's correction
    return math.sqrt(abar_prev) * y_prev, 2


def starting_noise(n: int, seed: int) -> np.ndarray:
    """x_T ~ N(0, I), the same for every sampler given the seed."""
    return torch.randn((n, 2), generator=torch.Generator().manual_seed(seed)).numpy()


def reverse_chain(
    net: EpsNet, sampler: str, nfe: int, x_T: np.ndarray, eta: float = 0.0, seed: int = 0
) -> tuple[Trajectory, int]:
    """Run ``sampler`` from x_T (N, 2) in at most ``nfe`` evaluations; the trajectory (frames by paper t,
    with σ = √((1−ᾱ)/ᾱ) per frame) and the NFE actually spent."""
    if sampler not in SAMPLERS:
        raise ValueError(f"Unknown sampler {sampler!r}; the samplers are {', '.join(SAMPLERS)}.")
    steps = min(steps_for(sampler, nfe), net.cfg.T)
    ts = grid(net.cfg.T, steps)
    generator = torch.Generator().manual_seed(seed)
    keep = max(1, math.ceil(steps / (MAX_FRAMES - 1)))
    x = torch.as_tensor(np.asarray(x_T, np.float32))
    frames, shown = [x.numpy().copy()], [ts[0] + 1]
    spent = 0
    with torch.no_grad():
        for i, (t, t_prev) in enumerate(itertools.pairwise(ts), start=1):
            if sampler in ("euler", "heun"):
                x, cost = ode_step(net, x, t, t_prev, heun=sampler == "heun")
            else:
                x, cost = ddim_step(net, x, t, t_prev, 1.0 if sampler == "ddpm" else eta, generator), 1
            spent += cost
            if i % keep == 0 or i == steps:
                frames.append(x.numpy().copy())
                shown.append(t_prev + 1)
    paper_t = np.asarray(shown)
    abar = np.array([_abar(net, t - 1) for t in paper_t])
    return Trajectory(np.stack(frames).astype(np.float32), paper_t, np.sqrt((1 - abar) / abar), "t"), spent


def forward_chain(net: EpsNet, x0: np.ndarray, frames: int = 101, seed: int = 0) -> Trajectory:
    """The forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) on the data, at ``frames`` values of t,
    with one noise draw per point so each point's path is continuous in t."""
    z = np.random.default_rng(seed).standard_normal(x0.shape)
    ts = np.linspace(0, net.cfg.T, frames).round().astype(int)  # paper t, 0 = the data
    abar = np.array([_abar(net, t - 1) for t in ts])
    out = np.sqrt(abar)[:, None, None] * x0[None] + np.sqrt(1 - abar)[:, None, None] * z[None]
    return Trajectory(out.astype(np.float32), ts, np.sqrt((1 - abar) / abar), "t")
