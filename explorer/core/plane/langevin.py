"""Langevin dynamics in the plane: one step, plain Langevin at one σ, and annealed Langevin.

Langevin dynamics (Song & Ermon 2019, eq. 4) draws from p when run long with a small step ε:
    x ← x + (ε/2) ∇ₓ log p(x) + √ε z,   z ~ N(0, I).
Without the noise term it is gradient ascent on log p and collapses onto the modes. Annealed
Langevin (their Algorithm 1) runs T steps at each level σ_1 > … > σ_L with the step
α_i = ε · σ_i² / σ_L², so separated modes are reached while the density is still smooth, with
the right weights; plain Langevin at the smallest σ keeps the weights of where it started.

The last Langevin step still leaves noise of size √α_L on every particle. The final denoising step
x ← x + σ_L² s(x, σ_L) (Song & Ermon 2020, "Improved Techniques", appendix; Jolicoeur-Martineau et al.
2020) removes it: by Tweedie's formula E[x₀ | x] = x + σ² ∇ log p_σ(x), it moves each particle to the
mean of the clean points it could have come from, at the cost of one network evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.plane.mixture import GaussianMixture
from explorer.core.plane.models import ScoreNet

ScoreFn = Callable[[torch.Tensor, float], torch.Tensor]  # points (B, 2) and a level σ → scores (B, 2)
# Langevin's step at the smallest level, ε = STEP_RATIO · σ_L². Song & Ermon 2019 used 2e-5/0.01² = 0.2; half
# that brings the score net's samples closer to the data on every preset at 100 steps a level (docs/labs.md,
# round 7): the step's own bias widens the cloud, and the net's errors grow with the step.
STEP_RATIO = 0.1
MAX_FRAMES = 401  # a trajectory keeps at most this many frames (the timeline's stops)


@dataclass(frozen=True)
class Trajectory:
    """Particles over time: frames (F, N, 2) float32, the step each frame shows (F,), and its σ (F,)."""

    frames: np.ndarray
    steps: np.ndarray
    sigmas: np.ndarray
    clock: str = "step"  # what ``steps`` count: Langevin steps, or the DDPM's t

    @property
    def final(self) -> np.ndarray:
        return self.frames[-1]


def exact_score_fn(mix: GaussianMixture) -> ScoreFn:
    """The mixture's exact score of p_σ (``mixture.mixture_score``), as a ScoreFn computed in torch float32."""
    means = torch.as_tensor(mix.means, dtype=torch.float32)  # (K, 2)
    var0 = torch.as_tensor(mix.stds, dtype=torch.float32) ** 2  # (K,)
    log_w = torch.as_tensor(mix.weights, dtype=torch.float32).log()

    def score(x: torch.Tensor, sigma: float) -> torch.Tensor:
        var = var0 + sigma**2
        pull = means[None] - x[:, None]  # (N, K, 2)
        r = torch.softmax(log_w - torch.log(2 * math.pi * var) - pull.square().sum(-1) / (2 * var), dim=1)  # (N, K)
        return (r[:, :, None] * pull / var[None, :, None]).sum(1)

    return score


def net_score_fn(net: ScoreNet) -> ScoreFn:
    """A trained score network as a ScoreFn (no gradients kept)."""

    def score(x: torch.Tensor, sigma: float) -> torch.Tensor:
        with torch.no_grad():
            return net.at_sigma(x, float(sigma))

    return score


def langevin_step(
    score: ScoreFn, x: torch.Tensor, sigma: float, eps: float, generator: torch.Generator, noise: bool = True
) -> torch.Tensor:
    """One step x ← x + (ε/2) s(x, σ) + √ε z (the noise term only if ``noise``)."""
    x_next = x + 0.5 * eps * score(x, sigma)
    if noise:
        x_next = x_next + math.sqrt(eps) * torch.randn(x.shape, generator=generator)
    return x_next


def tweedie_denoise(score: ScoreFn, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """The final denoising step x ← x + σ² s(x, σ): Tweedie's E[x₀ | x] for x = x₀ + σ z."""
    return x + sigma**2 * score(x, sigma)


def annealed_langevin(
    score: ScoreFn,
    x0: np.ndarray,
    sigmas: Sequence[float] | np.ndarray,
    eps: float,
    steps_per_level: int,
    seed: int = 0,
    noise: bool = True,
    denoise: bool = False,
) -> Trajectory:
    """Song & Ermon's Algorithm 1 from particles ``x0`` (N, 2): ``steps_per_level`` steps at each σ_i
    with α_i = ε σ_i² / σ_L². One level is plain Langevin at that σ with step ε. With ``denoise`` a last
    frame holds the particles after the final denoising step at σ_L (``tweedie_denoise``)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(np.asarray(x0, np.float32))
    total = len(sigmas) * steps_per_level
    keep = max(1, math.ceil(total / (MAX_FRAMES - 1)))
    frames, steps, levels = [x.numpy().copy()], [0], [float(sigmas[0])]
    step = 0
    for sigma in sigmas:
        alpha = eps * (sigma / sigmas[-1]) ** 2
        for _ in range(steps_per_level):
            x = langevin_step(score, x, sigma, alpha, generator, noise)
            step += 1
            if step % keep == 0 or step == total:
                frames.append(x.numpy().copy())
                steps.append(step)
                levels.append(float(sigma))
    if denoise:
        x = tweedie_denoise(score, x, float(sigmas[-1]))
        frames.append(x.numpy().copy())
        steps.append(step + 1)
        levels.append(0.0)
    return Trajectory(np.stack(frames).astype(np.float32), np.asarray(steps), np.asarray(levels))


def langevin(
    score: ScoreFn, x0: np.ndarray, sigma: float, eps: float, steps: int, seed: int = 0, noise: bool = True
) -> Trajectory:
    """Plain Langevin dynamics at one noise level σ (the smallest, to sample the data)."""
    return annealed_langevin(score, x0, [sigma], eps, steps, seed, noise)


def uniform_start(n: int, seed: int, box: float = 4.0) -> np.ndarray:
    """Particles spread evenly over [-box, box]²: a start that favours no mode (Song & Ermon §3.2.2)."""
    return np.random.default_rng(seed).uniform(-box, box, (n, 2)).astype(np.float32)
