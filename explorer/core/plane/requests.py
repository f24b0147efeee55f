"""What a learner asks of the lab, declared once with its limits: the panel's forms are built from
these fields' ``bounded``/``one_of`` metadata, and the CLI and the jobs take the same dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.core.plane.langevin import STEP_RATIO
from explorer.core.plane.samplers import SAMPLERS
from explorer.core.runtime.limits import SEED_MAX, bounded, one_of, validate

FIELDS = ("exact", "score net", "DDPM", "none")


@dataclass(frozen=True)
class LangevinRequest:
    """Langevin dynamics from particles spread over the box: ε = step_ratio · σ_L² at the smallest level
    (annealing scales it by σ_i²/σ_L², Song & Ermon's α_i), ``steps`` at each level."""

    particles: int = bounded(2000, 10, 20_000)
    step_ratio: float = bounded(STEP_RATIO, 0.001, 2.0)
    steps: int = bounded(100, 1, 1000)
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class SamplerRequest:
    """The DDPM's reverse chain: which sampler, in at most ``nfe`` network evaluations, DDIM's η."""

    sampler: str = one_of("ddpm", SAMPLERS)
    nfe: int = bounded(100, 1, 1000)
    eta: float = bounded(0.0, 0.0, 1.0)
    particles: int = bounded(2000, 10, 20_000)
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)
