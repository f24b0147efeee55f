"""Flow matching in the plane (Lipman et al. 2023; rectified flow, Liu et al. 2023).

A velocity field v(x, t) carries noise x₀ ~ N(0, I) at t = 0 to data x₁ at t = 1 along the ODE
dx/dt = v(x, t). It is trained on straight **conditional** paths between pairs (x₀, x₁):

    x_t = (1 − t) x₀ + t x₁,   d x_t / dt = x₁ − x₀,
    L(θ) = E_t E_(x₀,x₁) ‖v_θ(x_t, t) − (x₁ − x₀)‖²,   t ~ U[0, 1].

The minimiser is the **marginal** field v(x, t) = E[x₁ − x₀ | x_t = x], an average over every
pair whose line passes through x at time t; where lines cross it bends, so the ODE's paths are
curved even though every training path is straight.

Pairs: ``independent`` draws x₀ and x₁ independently; ``ot`` re-pairs each minibatch by the exact
assignment minimising Σ‖x₀ − x₁‖² (minibatch optimal transport, Tong et al. 2024; Pooladian et
al. 2023), so fewer lines cross and the paths come out straighter. Exact assignment costs O(B³),
so a batch is paired in blocks of ``ot_block`` points.

The field sees the point through Fourier features as well as raw (Tancik et al. 2020): an MLP on
raw coordinates learns sharp edges slowly (its spectral bias), and the checkerboard's square
corners came out as a blur within the default training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.plane.langevin import MAX_FRAMES, Trajectory
from explorer.core.plane.nets import POINT_FREQUENCIES, point_features
from explorer.core.plane.realnvp import mlp
from explorer.core.runtime.limits import SEED_MAX, bounded, one_of, validate

PAIRINGS = ("independent", "ot")
TIME_FREQUENCIES = 8  # sin and cos of t at 8 frequencies, π to 128π, beside t itself


@dataclass(frozen=True)
class FlowMatchingConfig:
    """A velocity MLP v(x, t) trained by conditional flow matching on (noise, data) pairs."""

    hidden: int = bounded(128, 16, 512)
    layers: int = bounded(3, 1, 6)
    pairing: str = one_of("independent", PAIRINGS)
    ot_block: int = bounded(64, 8, 512)
    steps: int = bounded(4000, 1, 200_000)
    batch_size: int = bounded(512, 16, 8192)
    lr: float = bounded(3e-3, 0.0, 0.1, low_open=True)
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)


def time_features(t: torch.Tensor) -> torch.Tensor:
    """(B,) times in [0, 1] → (B, 1 + 2F): t, sin(2^j π t), cos(2^j π t) for j = 0..F−1."""
    freqs = math.pi * 2.0 ** torch.arange(TIME_FREQUENCIES, dtype=t.dtype)  # (F,)
    angles = t[:, None] * freqs[None]  # (B, F)
    return torch.cat([t[:, None], angles.sin(), angles.cos()], dim=1)


class VelocityNet(nn.Module):
    """v_θ(x, t): points (B, 2) and times (B,) → velocities (B, 2)."""

    def __init__(self, cfg: FlowMatchingConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.net = mlp(2 + 4 * POINT_FREQUENCIES + 1 + 2 * TIME_FREQUENCIES, 2, cfg.hidden, cfg.layers)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([point_features(x), time_features(t)], dim=1))


def conditional_path(x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = (1 − t) x₀ + t x₁ for pairs (B, 2) at times (B,)."""
    return (1 - t)[:, None] * x0 + t[:, None] * x1


def target_velocity(x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
    """d x_t / dt of the conditional path: x₁ − x₀, the same at every t (the path is a straight line)."""
    return x1 - x0


def ot_pairing(x0: torch.Tensor, x1: torch.Tensor, block: int) -> torch.Tensor:
    """x₀ reordered (B, 2) so that, within each block of ``block`` points, Σ‖x₀ − x₁‖² is the least any
    pairing gives (the exact assignment, Hungarian-type algorithm in scipy)."""
    from scipy.optimize import linear_sum_assignment  # here: the command line's start-up need not load it

    paired = x0.clone()
    for start in range(0, len(x0), block):
        a, b = x0[start : start + block], x1[start : start + block]
        cost = torch.cdist(b.double(), a.double()).square().numpy()  # (block, block): data row, noise column
        rows, cols = linear_sum_assignment(cost)
        paired[start + rows] = a[cols]
    return paired


def fm_loss(net: VelocityNet, x0: torch.Tensor, x1: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """‖v_θ(x_t, t) − (x₁ − x₀)‖² summed over the two coordinates, averaged over the batch, t ~ U[0, 1]."""
    t = torch.rand(len(x0), generator=generator)
    x_t = conditional_path(x0, x1, t)
    return ((net(x_t, t) - target_velocity(x0, x1)) ** 2).sum(1).mean()


SAMPLERS = ("euler", "heun")


def steps_for(sampler: str, nfe: int) -> int:
    """Steps a sampler takes within ``nfe`` evaluations: Heun's step costs two (an odd budget's last
    step is a plain Euler step), Euler's one."""
    return (nfe + 1) // 2 if sampler == "heun" else nfe


def ode_step(net: VelocityNet, x: torch.Tensor, t: float, h: float, heun: bool) -> torch.Tensor:
    """One step of dx/dt = v(x, t) from t to t + h: Euler, or Heun's (explicit trapezoid) correction."""
    v = net(x, torch.full((len(x),), t))
    x_euler = x + h * v
    if not heun:
        return x_euler
    v_next = net(x_euler, torch.full((len(x),), t + h))
    return x + h * 0.5 * (v + v_next)


@torch.no_grad()
def integrate(net: VelocityNet, x0: np.ndarray, sampler: str, nfe: int) -> Trajectory:
    """Carry noise x₀ (N, 2) from t = 0 to t = 1 in exactly ``nfe`` evaluations of v.

    The trajectory keeps at most MAX_FRAMES frames (every k-th step, and the last); its ``steps``
    are the step indices, its ``sigmas`` the share 1 − t of noise in x_t = (1 − t) x₀ + t x₁.
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"Unknown flow sampler {sampler!r}; the samplers are {', '.join(SAMPLERS)}.")
    steps = steps_for(sampler, nfe)
    h = 1.0 / steps
    keep = max(1, math.ceil(steps / (MAX_FRAMES - 1)))
    x = torch.as_tensor(np.asarray(x0, np.float32))
    frames, shown = [x.numpy().copy()], [0]
    for i in range(steps):
        heun = sampler == "heun" and not (nfe % 2 == 1 and i == steps - 1)
        x = ode_step(net, x, i * h, h, heun)
        if (i + 1) % keep == 0 or i + 1 == steps:
            frames.append(x.numpy().copy())
            shown.append(i + 1)
    index = np.asarray(shown)
    return Trajectory(np.stack(frames).astype(np.float32), index, 1.0 - index / steps)


@torch.no_grad()
def velocity_field(net: VelocityNet, points: np.ndarray, t: float) -> np.ndarray:
    """v(x, t) at points (N, 2), for the arrows under the t slider."""
    x = torch.as_tensor(np.asarray(points, np.float32))
    return net(x, torch.full((len(x),), float(t))).numpy()
