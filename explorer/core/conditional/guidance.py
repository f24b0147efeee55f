"""Classifier-free guidance (Ho & Salimans 2022): one model, asked twice, its answers extrapolated.

At every reverse step the conditional U-Net predicts the noise with the asked label y and with
the null label ∅, and the chain walks with

    eps~ = (1 + w) eps(x_t, y) - w eps(x_t, ∅)        (Ho & Salimans, eq. 6)

w = 0 is the plain conditional model. Other libraries write the same combination as
eps(x_t, ∅) + s (eps(x_t, y) - eps(x_t, ∅)) with a scale s = 1 + w (diffusers' ``guidance_scale``),
so their s = 1 is this w = 0 and their common s = 2 this w = 1. w > 0 pushes the sample away from what the unconditional
model expects, towards what makes the label likely: clearer digits, less variety. Both
predictions come from one batched pass of 2n images, so guidance costs one wider pass, not two.
The steps themselves are the Diffusion panel's (``ddpm_step``, ``ddim_step``).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.conditional.labels import DIGITS, NULL_CLASS, class_labels
from explorer.core.diffusion.sampler import ChainFrame, SamplerConfig, chain_frame, walk_back
from explorer.core.diffusion.schedule import NoiseSchedule
from explorer.core.runtime.generators import Returning
from explorer.core.runtime.limits import ConfigError

# The default w, chosen by measurement (gen-explorer eval cddpm -n 5000 --guidance W, the shipped model, DDIM-50;
# the figures: docs/models.md): the bar is FID <= 12 with >= 98 % of every digit read as asked, and
# guidance buys accuracy with variety (FID): w = 0.7 meets both; a larger w reads the digits no better by
# much but draws them less varied, a smaller one read too few of the 5s.
GUIDANCE = 0.7
MAX_GUIDANCE = 20.0  # the largest w accepted; past a few, every sample of a digit is nearly the same template
SAMPLER = SamplerConfig()  # how guided digits are drawn unless asked otherwise: the app's DDIM-50, η = 1


def check_guidance(w: float) -> None:
    """Refuse a guidance weight outside [0, MAX_GUIDANCE] (or not finite), before anything is drawn."""
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not (math.isfinite(w) and 0 <= w <= MAX_GUIDANCE):
        raise ConfigError("guidance", f"must be a number from 0 to {MAX_GUIDANCE:g}", w)


def guided_epsilon(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, w: float) -> torch.Tensor:
    """eps~ = (1 + w) eps(x_t, y) - w eps(x_t, ∅): w = 0 gives the conditional prediction."""
    return (1.0 + w) * eps_cond - w * eps_uncond


def paired_epsilon(
    model: nn.Module, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """eps(x_t, y) and eps(x_t, ∅) for a (B, 1, 28, 28) batch, in one forward pass of 2B images."""
    null = torch.full_like(labels, NULL_CLASS)
    eps = model(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([labels, null]))  # (2B, 1, 28, 28)
    eps_cond, eps_uncond = eps.chunk(2)
    return eps_cond, eps_uncond


@dataclass(frozen=True)
class GuidedFrame(ChainFrame):
    """A step of a guided chain: the Diffusion panel's frame (``eps`` is the guided eps~) with both predictions."""

    eps_cond: np.ndarray  # eps(x_t, y), (n, 28, 28)
    eps_uncond: np.ndarray  # eps(x_t, ∅), (n, 28, 28)
    guidance: float  # the w that combined them


def _frames(x: torch.Tensor) -> np.ndarray:
    return x[:, 0].detach().to("cpu", torch.float32).numpy().copy()


def chain_labels(n: int, digit: int | np.ndarray | torch.Tensor | None) -> torch.Tensor:
    """(n,) labels for a chain: one digit for all, 0..9 in turn for None, or an array of labels 0..10 (10 = ∅)."""
    if digit is None or isinstance(digit, (int, np.integer)):
        return class_labels(n, digit)
    labels = torch.as_tensor(np.asarray(digit), dtype=torch.long).reshape(-1)
    if len(labels) != n or int(labels.min()) < 0 or int(labels.max()) > NULL_CLASS:
        raise ValueError(f"Need {n} labels from 0 to {DIGITS} (∅), not {labels.tolist()[:12]}.")
    return labels


@torch.inference_mode()  # on a generator, torch enters the mode only while the generator runs
def guided_chain(
    model: nn.Module,
    schedule: NoiseSchedule,
    n: int,
    digit: int | np.ndarray | None = None,
    guidance: float = GUIDANCE,
    sampler: SamplerConfig = SAMPLER,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> Generator[GuidedFrame, None, np.ndarray]:
    """The reverse process of ``sample_chain`` with eps~ in place of eps, yielding each step; returns
    (n, 28, 28) float32 images in [0, 1].

    ``digit``: one digit for all n, None for 0..9 in turn, or (n,) labels (10 = ∅, unconditional).
    The noise comes from one CPU generator seeded with ``seed``, drawn as ``sample_chain`` draws it,
    so a model that ignores its label walks exactly the unconditional chain of that seed.
    """
    check_guidance(guidance)
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    labels = chain_labels(n, digit).to(dev)

    def predict(x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        # Both predictions in one pass, then the guided combination (eq. 6).
        eps_cond, eps_uncond = paired_epsilon(model, x, t, labels)
        return guided_epsilon(eps_cond, eps_uncond, guidance), (eps_cond, eps_uncond)

    total = len(sampler.timesteps(schedule.T))
    steps = Returning(walk_back(schedule, n, sampler, predict, seed=seed, device=dev))
    for step in steps:
        eps_cond, eps_uncond = step.extra
        yield GuidedFrame(
            **chain_frame(schedule, step, total),
            eps_cond=_frames(eps_cond),
            eps_uncond=_frames(eps_uncond),
            guidance=float(guidance),
        )
    return steps.value
