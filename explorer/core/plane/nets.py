"""The lab's one network shape: an MLP on a point (x, y) and a noise level u ∈ [0, 1].

The noise level enters as sinusoidal features (Vaswani et al. 2017; Ho et al. 2020's time
embedding) concatenated to the point, as small 2-D diffusion demos do. The score network
feeds it the normalised log σ, the DDPM its normalised t; each model wraps the output.
"""

from __future__ import annotations

import math

import torch
from torch import nn

EMBED_FREQUENCIES = 16  # sin and cos at each: 32 features of the noise level


def noise_embedding(u: torch.Tensor) -> torch.Tensor:
    """Sinusoidal features (B, 32) of levels u (B,) in [0, 1], frequencies geometric from 1 to 1000 rad."""
    freqs = torch.exp(torch.linspace(0.0, math.log(1000.0), EMBED_FREQUENCIES, device=u.device))  # (F,)
    angles = u[:, None] * freqs[None]  # (B, F)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class NoiseConditionedMLP(nn.Module):
    """f(x, u): (B, 2) points and (B,) levels → (B, 2); ``layers`` hidden layers of ``hidden`` units, SiLU."""

    def __init__(self, hidden: int, layers: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = [nn.Linear(2 + 2 * EMBED_FREQUENCIES, hidden), nn.SiLU()]
        for _ in range(layers - 1):
            blocks += [nn.Linear(hidden, hidden), nn.SiLU()]
        blocks.append(nn.Linear(hidden, 2))
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, noise_embedding(u)], dim=1))

    def at_level(self, x: torch.Tensor, u: float) -> torch.Tensor:
        """f(x, u) for one level u shared by every point, as a sampler's step has: the level's share of
        the first layer, W_u·emb(u) + b, is one row computed once instead of once per point, so a step
        costs only the point's two inputs and the hidden layers."""
        first = self.net[0]
        assert isinstance(first, nn.Linear)
        level = noise_embedding(torch.tensor([u], dtype=x.dtype, device=x.device))  # (1, 2F)
        bias = torch.addmm(first.bias, level, first.weight[:, 2:].t())  # (1, H)
        return self.net[1:](torch.addmm(bias, x, first.weight[:, :2].t()))
