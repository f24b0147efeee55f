"""Quality against the number of network evaluations: every sampler of one trained DDPM, from the same
starting noise, at each NFE of the ladder, judged by the lab's MMD² against its floor."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from explorer.core.plane.draw import PlaneModel, model_from_checkpoint
from explorer.core.plane.models import EpsNet
from explorer.core.plane.quality import QUALITY_N, judge_for
from explorer.core.plane.samplers import NFE_LADDER, SAMPLERS, reverse_chain, starting_noise
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.errors import ExplorerError


@dataclass(frozen=True)
class SweepPoint:
    """One sampler at one NFE budget: the NFE it spent and its MMD²; the floor to compare with."""

    sampler: str
    nfe: int
    mmd2: float
    floor: float
    progress: float

    def summary(self) -> str:
        return f"{self.sampler} at {self.nfe} NFE: MMD² {self.mmd2:.4f} (floor {self.floor:.4f})"


def nfe_sweep(
    ckpt: Checkpoint,
    points: np.ndarray,
    source: str,
    samplers: tuple[str, ...] = SAMPLERS,
    ladder: tuple[int, ...] = NFE_LADDER,
    eta: float = 0.0,
    seed: int = 0,
    n: int = QUALITY_N,
) -> Generator[SweepPoint, None, None]:
    """Yield a SweepPoint per (sampler, NFE), cheapest first within each sampler."""
    model: PlaneModel = model_from_checkpoint(ckpt)
    if not isinstance(model.net, EpsNet):
        raise ExplorerError("Quality against NFE is measured for a DDPM; this is a score network.")
    judge = judge_for(points, source, n)
    x_T = starting_noise(len(judge.reference), seed)
    total, done = len(samplers) * len(ladder), 0
    for sampler in samplers:
        for nfe in ladder:
            trajectory, spent = reverse_chain(model.net, sampler, nfe, x_T, eta, seed)
            done += 1
            yield SweepPoint(sampler, spent, judge.score(trajectory.final), judge.floor, done / total)
