"""Classifier guidance (Dhariwal & Nichol 2021): steer an *unconditional* DDPM towards a digit with the gradient
of a classifier trained on noisy digits.

Bayes' rule on the noisy marginal gives ∇ log p(x_t | y) = ∇ log p(x_t) + ∇ log p(y | x_t), and the DDPM's
noise prediction is a scaled score, ε_θ(x_t) = −√(1 − ᾱ_t) ∇ log p(x_t). So walking with

    ε̂(x_t) = ε_θ(x_t) − s · √(1 − ᾱ_t) · ∇ₓ log p_φ(y | x_t)        (Dhariwal & Nichol, Algorithm 2)

follows the score of p(x_t) p_φ(y | x_t)^s: s = 1 is the conditional distribution the two models imply, s > 1
sharpens it (clearer digits, less variety). The same ε̂ drives every sampler here (DDIM as the paper's
Algorithm 2; DDPM, Heun, DPM-Solver++ alike). Classifier-free guidance (guidance.py) gets the same effect
from one conditional model asked twice; this needs no conditional model, only the classifier: the
Conditional tab compares the two from the same noise.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.diffusion.sampler import ChainFrame, SamplerConfig, chain_frame, walk_back
from explorer.core.diffusion.schedule import NoiseSchedule
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.generators import Returning
from explorer.core.runtime.limits import ConfigError

MAX_CLASSIFIER_SCALE = 100.0  # the largest s accepted; past ~20 the gradient's push breaks the digits


def check_classifier_scale(s: float) -> None:
    """Refuse a scale outside [0, MAX_CLASSIFIER_SCALE] (or not finite), before anything is drawn."""
    if (
        isinstance(s, bool)
        or not isinstance(s, (int, float))
        or not (math.isfinite(s) and 0 <= s <= MAX_CLASSIFIER_SCALE)
    ):
        raise ConfigError("classifier_scale", f"must be a number from 0 to {MAX_CLASSIFIER_SCALE:g}", s)


def check_pair(schedule: NoiseSchedule, classifier_config: Any) -> None:
    """The classifier must have been trained on the DDPM's own forward process (same schedule, same T)."""
    if (classifier_config.schedule, classifier_config.timesteps) != (schedule.kind, schedule.T):
        raise CheckpointError(
            f"The noisy classifier was trained on the {classifier_config.schedule} schedule with T = "
            f"{classifier_config.timesteps}; this DDPM uses {schedule.kind} with T = {schedule.T}."
        )


def log_prob_gradient(classifier: nn.Module, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """∇ₓ log p_φ(y | x_t, t) for each image of the batch (B, 1, 28, 28): one forward and one backward pass."""
    with torch.inference_mode(False), torch.enable_grad():
        x = x_t.detach().clone().requires_grad_(True)
        log_p = F.log_softmax(classifier(x, t), dim=1)  # (B, 10)
        chosen = log_p[torch.arange(len(labels), device=x.device), labels].sum()  # images independent: sum
        return torch.autograd.grad(chosen, x)[0]


def classifier_guided_epsilon(
    eps: torch.Tensor, gradient: torch.Tensor, schedule: NoiseSchedule, t: torch.Tensor, scale: float
) -> torch.Tensor:
    """ε̂ = ε − s √(1 − ᾱ_t) ∇ₓ log p_φ(y | x_t): the noise of the guided walk."""
    sigma = schedule.sqrt_one_minus_alphas_cumprod.to(eps.device)[t].reshape(-1, 1, 1, 1)  # √(1 − ᾱ_t), (B,1,1,1)
    return eps - scale * sigma * gradient


def sample_classifier_guided(
    model: nn.Module,
    classifier: nn.Module,
    digits: np.ndarray,
    scale: float,
    sampler: SamplerConfig = SamplerConfig(),
    *,
    seed: int = 0,
) -> Generator[ChainFrame, None, np.ndarray]:
    """The unconditional DDPM ``model`` walked back with ε̂ for each of ``digits`` (n,), from x_T of ``seed``
    (the same x_T as every other sampler's); yields each step, returns (n, 28, 28) float32 images in [0, 1]."""
    check_classifier_scale(scale)
    schedule: NoiseSchedule = model.schedule  # type: ignore[assignment]
    device = next(model.parameters()).device
    labels = torch.as_tensor(np.asarray(digits, dtype=np.int64), device=device)

    def predict(x_t: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, None]:
        with torch.no_grad():
            eps = model(x_t, t)
        if scale == 0:
            return eps, None
        return classifier_guided_epsilon(eps, log_prob_gradient(classifier, x_t, t, labels), schedule, t, scale), None

    total = len(sampler.timesteps(schedule.T))
    steps = Returning(walk_back(schedule, len(labels), sampler, predict, seed=seed, device=device))
    for step in steps:
        yield ChainFrame(**chain_frame(schedule, step, total))
    return steps.value


def draw_classifier_guided(
    model: nn.Module,
    classifier: nn.Module,
    digits: np.ndarray,
    scale: float,
    sampler: SamplerConfig,
    seed: int,
    chunk: int,
) -> Generator[int, None, np.ndarray]:
    """The digits (n,) asked for, ``chunk`` at a time (chunk i seeded from ``seed`` and i, as every family
    draws), yielding how many are drawn so far; returns (n, 28, 28) float32 in [0, 1]."""
    seeds = np.random.SeedSequence(seed).generate_state(-(-len(digits) // chunk))
    parts: list[np.ndarray] = []
    for i, start in enumerate(range(0, len(digits), chunk)):
        asked = digits[start : start + chunk]
        chain = Returning(sample_classifier_guided(model, classifier, asked, scale, sampler, seed=int(seeds[i])))
        for _ in chain:
            pass
        parts.append(chain.value)
        yield start + len(asked)
    return np.concatenate(parts)


__all__ = [
    "MAX_CLASSIFIER_SCALE",
    "check_classifier_scale",
    "check_pair",
    "classifier_guided_epsilon",
    "draw_classifier_guided",
    "log_prob_gradient",
    "sample_classifier_guided",
]
