"""Reflow (Liu et al. 2023, "Flow straight and fast", §2.3) and the straightness of a flow.

Reflow: draw noise x₀, carry it to x₁ = ODE(x₀) with the trained field, and train a second field on
these (x₀, x₁) pairs by the same straight-path loss. The new pairs are deterministic and their
lines cross far less than independent pairs do, so the new flow's paths are straighter, and a
straight path is crossed exactly in one Euler step.

Straightness (their eq. 6 / Definition 2.4) of a flow Z_t with dZ_t/dt = v(Z_t, t):

    S(Z) = ∫₀¹ E ‖(Z₁ − Z₀) − v(Z_t, t)‖² dt,

the mean squared gap between the velocity along the path and the one straight step from its
start to its end. S = 0 exactly when every path is a straight line crossed at constant speed;
its units are those of a squared velocity (the data's box per unit time, squared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.plane.flow_matching import FlowMatchingConfig, VelocityNet, integrate
from explorer.core.plane.samplers import starting_noise
from explorer.core.runtime.limits import bounded

STRAIGHTNESS_STEPS = 100  # Euler steps the straightness integral is taken over
STRAIGHTNESS_POINTS = 2000


@dataclass(frozen=True)
class ReflowConfig(FlowMatchingConfig):
    """A reflowed field: trained on ``pairs`` (noise, sample) pairs made by the first model with
    ``pair_nfe`` Heun evaluations, starting from the first model's weights (as Liu et al. do)."""

    pairs: int = bounded(20_000, 256, 200_000)
    pair_nfe: int = bounded(100, 2, 1000)
    steps: int = bounded(3000, 1, 200_000)


def reflow_pairs(teacher: VelocityNet, n: int, nfe: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(x₀, x₁): ``n`` noise points and where the teacher's ODE carries them (Heun, ``nfe`` evaluations)."""
    x0 = starting_noise(n, seed)
    return x0, integrate(teacher, x0, "heun", nfe).final


@torch.no_grad()
def straightness(
    net: VelocityNet, n: int = STRAIGHTNESS_POINTS, seed: int = 0, steps: int = STRAIGHTNESS_STEPS
) -> float:
    """Liu et al.'s S(Z) of the flow ``net`` defines, on ``n`` paths by ``steps`` Euler steps (a Riemann
    sum over t, the velocities those steps used)."""
    x = torch.as_tensor(starting_noise(n, seed))
    start, velocities = x.clone(), []
    h = 1.0 / steps
    for i in range(steps):
        v = net(x, torch.full((n,), i * h))
        velocities.append(v)
        x = x + h * v
    chord = x - start  # Z₁ − Z₀
    return float(torch.stack([((chord - v) ** 2).sum(1).mean() for v in velocities]).mean())
