"""The lab's one network shape: an MLP on a point (x, y) and a noise level u ∈ [0, 1].

The noise level enters as sinusoidal features (Vaswani et al. 2017; Ho et al. 2020's time
embedding) concatenated to the point, as small 2-D diffusion demos do. The score network
feeds it the normalised log σ, the DDPM its normalised t; each model wraps the output.
The point may enter with its own Fourier features (Tancik et al. 2020), as flow matching's does:
an MLP on raw coordinates learns sharp edges slowly (its spectral bias).
"""

from __future__ import annotations

import math

import torch
from torch import nn

EMBED_FREQUENCIES = 16  # sin and cos at each: 32 features of the noise level
POINT_FREQUENCIES = 3  # sin and cos of each coordinate at 3 frequencies, π/2 to 2π, beside the point itself


def point_features(x: torch.Tensor, frequencies: int = POINT_FREQUENCIES) -> torch.Tensor:
    """(B, 2) points → (B, 2 + 4P): x, y, then sin and cos of each at (π/2)·2^j for j = 0..P−1. The
    shortest wavelength at P = 3, 1, is a checkerboard square's side; a fourth, shorter one gained flow
    matching no more on the checkerboard and cost the spiral and the moons some of their fit."""
    if frequencies == 0:
        return x
    freqs = (math.pi / 2) * 2.0 ** torch.arange(frequencies, dtype=x.dtype)  # (P,)
    angles = (x[:, :, None] * freqs).flatten(1)  # (B, 2P)
    return torch.cat([x, angles.sin(), angles.cos()], dim=1)


def noise_embedding(u: torch.Tensor) -> torch.Tensor:
    """Sinusoidal features (B, 32) of levels u (B,) in [0, 1], frequencies geometric from 1 to 1000 rad."""
    freqs = torch.exp(torch.linspace(0.0, math.log(1000.0), EMBED_FREQUENCIES, device=u.device))  # (F,)
    angles = u[:, None] * freqs[None]  # (B, F)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class NoiseConditionedMLP(nn.Module):
    """f(x, u): (B, 2) points and (B,) levels → (B, 2); ``layers`` hidden layers of ``hidden`` units, SiLU;
    the point seen through ``point_frequencies`` Fourier frequencies beside itself (0: raw only)."""

    def __init__(self, hidden: int, layers: int, point_frequencies: int = 0) -> None:
        super().__init__()
        self.point_frequencies = point_frequencies
        self.point_inputs = 2 + 4 * point_frequencies
        blocks: list[nn.Module] = [nn.Linear(self.point_inputs + 2 * EMBED_FREQUENCIES, hidden), nn.SiLU()]
        for _ in range(layers - 1):
            blocks += [nn.Linear(hidden, hidden), nn.SiLU()]
        blocks.append(nn.Linear(hidden, 2))
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([point_features(x, self.point_frequencies), noise_embedding(u)], dim=1))

    def at_level(self, x: torch.Tensor, u: float) -> torch.Tensor:
        """f(x, u) for one level u shared by every point, as a sampler's step has: the level's share of
        the first layer, W_u·emb(u) + b, is one row computed once instead of once per point, so a step
        costs only the point's inputs and the hidden layers."""
        first = self.net[0]
        assert isinstance(first, nn.Linear)
        p = self.point_inputs
        level = noise_embedding(torch.tensor([u], dtype=x.dtype, device=x.device))  # (1, 2F)
        bias = torch.addmm(first.bias, level, first.weight[:, p:].t())  # (1, H)
        return self.net[1:](torch.addmm(bias, point_features(x, self.point_frequencies), first.weight[:, :p].t()))
