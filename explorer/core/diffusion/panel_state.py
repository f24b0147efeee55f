"""The Diffusion panel's state: what the learner asked the sampler for, and which of the panel's jobs runs.

The sampler row writes n, the seed, the sampler, K and η here as the learner edits them, and the panel
builds each chain's job from this state alone, never from a spin box; so a test sets the state and reads
the job and the actions it allows without any widget. The chain on show, its frame and the sample followed
are the chain player's state (``chain_player.py``). Each field's limit is declared once: K and η where
``SamplerConfig`` declares them, and the forms take their ranges from these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from explorer.core.diffusion.chain_job import reverse_chains
from explorer.core.diffusion.chain_record import ChainRecord
from explorer.core.diffusion.model import DDPMConfig
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.limits import SEED_MAX, bounded, declared_as

SHOWN_SAMPLES = 64  # the most samples a chain of the panel draws: its grid shows them all at once


class DiffusionJob(Enum):
    """Which of the Diffusion panel's jobs runs: a reverse chain, a digit's bound, or training."""

    CHAIN = "chain"
    BOUND = "bound"
    TRAINING = "training"


@dataclass(eq=False)
class SamplingRequest(Evented):
    """The reverse chain asked for: ``n`` samples from the x_T that ``seed`` draws, by ``sampler`` with K = ``steps``
    network evaluations and DDIM's noise ``eta`` (kept while another sampler is chosen, as the form keeps it)."""

    n: int = bounded(16, 1, SHOWN_SAMPLES)
    seed: int = bounded(0, 0, SEED_MAX)
    sampler: str = declared_as(SamplerConfig, "sampler")
    steps: int = declared_as(SamplerConfig, "steps")
    eta: float = declared_as(SamplerConfig, "eta")

    def sampler_config(self, sampler: str | None = None) -> SamplerConfig:
        """``sampler`` (the chosen one by default) with the asked K and η; ConfigError outside their limits."""
        return SamplerConfig(sampler or self.sampler, self.steps, self.eta)

    def new_chains(self, samplers: tuple[str, ...], T: int) -> list[ChainRecord]:
        """Empty chains of ``samplers`` for this request under a model of T steps, in the order a job runs them:
        the chosen sampler's first, so the chain on show fills first."""
        ordered = sorted(samplers, key=lambda s: s != self.sampler)
        return [ChainRecord(self.sampler_config(s), self.seed, self.n, T) for s in ordered]

    def stores(self, record: ChainRecord | None) -> bool:
        """Whether ``record`` is a complete chain of this request (DDPM's whatever K and η: it walks all T)."""
        return (
            record is not None
            and record.complete
            and (record.n, record.seed) == (self.n, self.seed)
            and (record.sampler == "ddpm" or record.config == self.sampler_config(record.sampler))
        )


@dataclass(eq=False)
class DiffusionState(SamplingRequest):
    """The sampling request, whether the tab's runner is ``busy`` (with any job, the panel's or not) and which of
    the panel's jobs runs (None: none of ours); the ELBO tab's: the test digit whose bound starts when the running
    job ends (``bound_waiting``; None: none), and whether the tab has been looked at under this model
    (``bound_asked``: the first look computes the bound of the digit on show)."""

    busy: bool = False
    job: DiffusionJob | None = None
    bound_waiting: int | None = None
    bound_asked: bool = False

    def new_model(self) -> None:
        """Another model: no bound waits, and the ELBO tab's next look is its first."""
        self.update(bound_waiting=None, bound_asked=False)

    @property
    def bound_due(self) -> bool:
        """Whether a bound waits and the runner is free to start it."""
        return self.bound_waiting is not None and not self.busy

    def can_sample(self, has_model: bool) -> bool:
        """Run chain and Compare need a model and a free runner."""
        return has_model and not self.busy

    @property
    def can_cancel(self) -> bool:
        """Cancel stops a chain of ours, and nothing else."""
        return self.busy and self.job is DiffusionJob.CHAIN

    @property
    def can_train(self) -> bool:
        return not self.busy


def chains_job(records: list[ChainRecord], cfg: DDPMConfig, weights: dict[str, np.ndarray], device: str | None) -> Job:
    """The job that fills ``records`` (one x_T for all: their n and seed are the first's), frame by frame."""
    return Job(
        reverse_chains,
        {
            "cfg": cfg,
            "weights": weights,
            "n": records[0].n,
            "samplers": tuple(record.config for record in records),
            "seed": records[0].seed,
            "device": device,
        },
    )
