"""Every family in the lab judged the same way, for the family table: the MMD² of its samples against
the floor, the NFE its sampler spent, the likelihood it can report (exact, a bound, none) with its mean
test NLL, and its training time; and the flows' quality against NFE, before and after reflow, for the
lab's NFE plot beside the DDPM's samplers.

Each family is judged by its usual sampler: the score net by annealed Langevin (1,000 steps), the RealNVP
by one inverse pass; the DDPM by Heun on its probability-flow ODE at 49 NFE, the same solver and budget
as the flow-matching fields', so those three rows compare like with like (its ancestral sampler at 1,000
steps is on the NFE plot).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np

from explorer.core.plane.bound import ddpm_nll_bound
from explorer.core.plane.data import PRESETS, make_preset
from explorer.core.plane.draw import PlaneModel, draw, model_from_checkpoint
from explorer.core.plane.flow_matching import SAMPLERS as FLOW_SAMPLERS
from explorer.core.plane.flow_matching import integrate
from explorer.core.plane.flows import flow_log_likelihood
from explorer.core.plane.models import EpsNet
from explorer.core.plane.quality import QUALITY_N, judge_for
from explorer.core.plane.reflow import straightness
from explorer.core.plane.samplers import starting_noise
from explorer.core.plane.sweep import SweepPoint, nfe_sweep
from explorer.core.runtime.checkpoints import Checkpoint

FAMILIES = ("score", "ddpm", "realnvp", "fm", "reflow")  # the table's rows, and what "Train all" trains, in order
TEST_POINTS = 1000  # held-out points the table's test NLL is the mean over
JUDGED_BY = {  # kind → (sampler, NFE) its row is judged at
    "plane-score": ("annealed-langevin", 1000),
    "plane-ddpm": ("heun", 49),
    "plane-realnvp": ("inverse", 1),
    "plane-fm": ("heun", 49),
    "plane-reflow": ("heun", 49),
}
LIKELIHOOD = {"plane-score": "none", "plane-ddpm": "bound"}  # every flow: "exact"
FLOW_LADDER = (1, 2, 3, 5, 10, 20, 50, 100)  # NFE of the flows' sweep: reflow's point is at the low end


@dataclass
class FamilyRow:
    """One line of the family table: how close its samples are and what likelihood it can report."""

    quality: tuple[float, float] | None = None  # (MMD², floor)
    nfe: int | None = None
    likelihood: str = "none"  # "exact", "bound" or "none"
    nll: float | None = None  # mean test NLL in nats (exact), or its bound
    seconds: float | None = None  # training time


def test_points(points: np.ndarray, source: str) -> np.ndarray:
    """A preset's held-out points (a fresh draw); for drawn data its first TEST_POINTS points, seen in training."""
    return make_preset(source, TEST_POINTS, seed=1) if source in PRESETS else points[:TEST_POINTS]


def judge_model(model: PlaneModel, points: np.ndarray, source: str, seconds: float) -> FamilyRow:
    """The family table's row of a trained model on the data ``points`` from ``source``."""
    judge = judge_for(points, source)
    sampler, nfe = JUDGED_BY[model.kind]
    samples, spent = draw(model, sampler, len(judge.reference), nfe, seed=1)
    likelihood = LIKELIHOOD.get(model.kind, "exact")
    test = test_points(points, source)
    nll: float | None = None
    if likelihood == "exact":
        nll = float(-flow_log_likelihood(model.flow, test).mean())
    elif isinstance(model.net, EpsNet):
        nll = float(ddpm_nll_bound(model.net, test).mean())
    return FamilyRow((judge.score(samples.final), judge.floor), spent, likelihood, nll, seconds)


def compare_reflow(
    first: PlaneModel, second: PlaneModel, points: np.ndarray, source: str
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Straightness of both fields, and their 1- and 2-step Euler samples' MMD² in units of the floor."""
    judge = judge_for(points, source)
    n = len(judge.reference)
    s = {name: straightness(m.velocity, n=1000) for name, m in (("first", first), ("reflowed", second))}
    few = {
        name: [judge.score(draw(m, "euler", n, k, seed=1)[0].final) / judge.floor for k in (1, 2)]
        for name, m in (("first", first), ("reflowed", second))
    }
    return s, few


def flow_sweep(
    fields: dict[str, Checkpoint],
    points: np.ndarray,
    source: str,
    ladder: tuple[int, ...] = FLOW_LADDER,
    n: int = QUALITY_N,
    seed: int = 0,
) -> Generator[SweepPoint, None, None]:
    """Quality against NFE of each flow-matching field in ``fields`` (name → checkpoint, e.g. "FM", "reflow")
    by Euler and Heun from the same noise; a SweepPoint per (field, sampler, NFE) named "<name> <sampler>"."""
    judge = judge_for(points, source, n)
    x0 = starting_noise(len(judge.reference), seed)
    total, done = len(fields) * len(FLOW_SAMPLERS) * len(ladder), 0
    for name, ckpt in fields.items():
        velocity = model_from_checkpoint(ckpt).velocity
        for sampler in FLOW_SAMPLERS:
            for nfe in ladder:
                final = integrate(velocity, x0, sampler, nfe).final
                done += 1
                yield SweepPoint(f"{name} {sampler}", nfe, judge.score(final), judge.floor, done / total)


def lab_sweep(
    ddpm: Checkpoint | None,
    fields: dict[str, Checkpoint],
    points: np.ndarray,
    source: str,
    flow_ladder: tuple[int, ...] = FLOW_LADDER,
    n: int = QUALITY_N,
) -> Generator[SweepPoint, None, None]:
    """The DDPM's four samplers (if there is a DDPM), then the flow-matching fields', on one scale of progress."""
    parts = ([nfe_sweep(ddpm, points, source, n=n)] if ddpm is not None else []) + (
        [flow_sweep(fields, points, source, flow_ladder, n)] if fields else []
    )
    for k, part in enumerate(parts):
        for point in part:
            yield replace(point, progress=(k + point.progress) / len(parts))
