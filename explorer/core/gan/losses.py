"""The two players' losses of eq. 1 (Goodfellow et al., 2014), from logits so they stay finite, and the toy data."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from explorer.core.gan.nets import OBJECTIVES


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """-[log D(x) + log(1 - D(G(z)))], batch means, from logits (D's side of eq. 1, negated to minimise).

    ``smoothing`` > 0 aims D(x) at 1 - smoothing instead of 1 (one-sided label smoothing).
    """
    real_target = torch.full_like(real_logits, 1.0 - smoothing)
    real = F.binary_cross_entropy_with_logits(real_logits, real_target)  # -log sigmoid(l) when smoothing = 0
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))  # -log(1 - sigmoid(l))
    return real + fake


def generator_loss(fake_logits: torch.Tensor, objective: str = "non_saturating") -> torch.Tensor:
    """G's loss, batch mean: 'minimax' log(1 - D(G(z))) of eq. 1, or 'non_saturating' -log D(G(z)) (section 3).

    The minimax gradient d/dl = -sigmoid(l) vanishes when D confidently rejects fakes; the
    non-saturating one, -(1 - sigmoid(l)), is then largest.
    """
    if objective == "minimax":
        return F.logsigmoid(-fake_logits).mean()  # log(1 - sigmoid(l)) = log sigmoid(-l)
    if objective == "non_saturating":
        return -F.logsigmoid(fake_logits).mean()
    raise ValueError(f"Unknown generator objective {objective!r}; choose one of {', '.join(OBJECTIVES)}.")


def ring_of_gaussians(
    n: int, generator: torch.Generator | None = None, modes: int = 8, radius: float = 2.0, sigma: float = 0.02
) -> torch.Tensor:
    """n points (n, 2) from an equal mixture of ``modes`` Gaussians N(mu_k, sigma^2 I) evenly spaced on a circle."""
    k = torch.randint(0, modes, (n,), generator=generator)  # (n,)
    angle = 2 * math.pi * k.float() / modes
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)  # (n, 2)
    return centres + sigma * torch.randn(n, 2, generator=generator)
