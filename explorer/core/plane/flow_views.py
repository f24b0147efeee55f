"""What the lab draws of its flows, computed once per model so the sliders only swap arrays: the
RealNVP's stages (a grid and base samples pushed layer by layer, the density at each stage), the
conditional straight lines of a few training pairs, and the velocity field at a time t."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.plane.flow_matching import VelocityNet, ot_pairing, velocity_field
from explorer.core.plane.realnvp import RealNVP
from explorer.core.plane.samplers import starting_noise

GRID_LINES = 13  # lines of the base grid in each direction, over [-3, 3]
GRID_POINTS = 80  # points along each line
STAGE_IMAGE = 80  # pixels of a stage's density image a side


@dataclass(frozen=True)
class Stage:
    """Stage k of the pushes: base samples (N, 2), the grid's lines (GRID_POINTS, 2·GRID_LINES, 2) and
    the stage's log-density (STAGE_IMAGE, STAGE_IMAGE) over [-box, box]², rows along y."""

    samples: np.ndarray
    grid: np.ndarray
    log_density: np.ndarray


def base_grid() -> np.ndarray:
    """Lines of constant z₁ and of constant z₂ in the base space: (GRID_POINTS, 2·GRID_LINES, 2)."""
    levels = np.linspace(-3, 3, GRID_LINES)
    along = np.linspace(-3, 3, GRID_POINTS)
    vertical = np.stack(np.broadcast_arrays(levels[None, :], along[:, None]), -1)  # (P, L, 2): x fixed per line
    horizontal = vertical[..., ::-1]
    return np.concatenate([vertical, horizontal], 1).astype(np.float32)


@torch.no_grad()
def realnvp_stages(flow: RealNVP, n: int = 2000, seed: int = 0, box: float = 4.0) -> list[Stage]:
    """Every stage of the flow, from the base Gaussian (0) to the model (K)."""
    grid = base_grid()
    shape = grid.shape
    samples = torch.as_tensor(starting_noise(n, seed))
    pushed_samples = flow.pushes(samples)
    pushed_grid = flow.pushes(torch.as_tensor(grid.reshape(-1, 2)))
    axis = np.linspace(-box, box, STAGE_IMAGE, dtype=np.float32)
    gx, gy = np.meshgrid(axis, axis)
    pixels = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1))
    return [
        Stage(
            pushed_samples[k].numpy(),
            pushed_grid[k].numpy().reshape(shape),
            flow.stage_log_prob(pixels, k).numpy().reshape(STAGE_IMAGE, STAGE_IMAGE),
        )
        for k in range(len(flow.couplings) + 1)
    ]


def pair_lines(points: np.ndarray, count: int, pairing: str, seed: int = 0, block: int = 64) -> np.ndarray:
    """The conditional paths x_t = (1 − t)x₀ + t x₁ of ``count`` training pairs as (2, count, 2): start and end
    (straight lines), paired as the training pairs them (independently, or by minibatch OT in one block)."""
    rng = np.random.default_rng(seed)
    x1 = torch.as_tensor(points[rng.integers(0, len(points), count)])
    x0 = torch.as_tensor(starting_noise(count, seed))
    if pairing == "ot":
        x0 = ot_pairing(x0, x1, block)
    return np.stack([x0.numpy(), x1.numpy()])


def velocity_arrows(net: VelocityNet, tails: np.ndarray, t: float, spacing: float) -> np.ndarray:
    """v(x, t) at the tails, scaled so the longest arrow spans one grid spacing."""
    v = velocity_field(net, tails, t)
    longest = float(np.linalg.norm(v, axis=1).max()) or 1.0
    return v * (0.9 * spacing / longest)
