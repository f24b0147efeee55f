"""The classifier-free guidance tab's state: the guided chain asked for, the sweep's size, and which job runs.

The digit buttons, the w slider, the sampler row and the sweep's n write here as the learner edits them;
the panel builds its chain's and its sweep's jobs from this state alone, so a test sets the state and reads
the job and the actions it allows without any widget. The chain on show, its frame and the sample followed
are the chain player's state. Each limit is declared once, on these fields (the sampler's where
``SamplerConfig`` declares them), and the forms take their ranges from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from explorer.core.conditional.cddpm import CDDPMConfig
from explorer.core.conditional.guidance import GUIDANCE, MAX_GUIDANCE
from explorer.core.conditional.jobs import guided_chain_job, sweep_job
from explorer.core.conditional.labels import DIGITS
from explorer.core.conditional.sweep import SWEEP
from explorer.core.diffusion.chain_record import GuidedChainRecord
from explorer.core.diffusion.panel_state import SamplingRequest
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.limits import bounded

GUIDED_FIELDS = frozenset({"n", "seed", "sampler", "steps", "eta", "digit", "w"})  # a change of any draws again


class CDDPMJob(Enum):
    """Which of the guidance tab's jobs runs: a guided chain, the sweep over w, or training."""

    CHAIN = "chain"
    SWEEP = "sweep"
    TRAINING = "training"


@dataclass(eq=False)
class GuidedRequest(SamplingRequest):
    """The sampling request with the digit y asked for and the guidance weight w."""

    digit: int = bounded(7, 0, DIGITS - 1)
    w: float = bounded(GUIDANCE, 0.0, MAX_GUIDANCE)

    def text(self) -> str:
        """The request in words, as the chain's messages give it: '16 × 7 with w = 1'."""
        return f"{self.n} × {self.digit} with w = {self.w:g}"

    def new_chain(self, T: int) -> GuidedChainRecord:
        """An empty guided chain of this request under a model of T steps."""
        return GuidedChainRecord(self.sampler_config(), self.seed, self.n, T, self.digit, self.w)


@dataclass(eq=False)
class SweepRequest(Evented):
    """How many samples the sweep draws at each value of the guidance."""

    sweep_n: int = bounded(100, 4, 500)


@dataclass(eq=False)
class CDDPMState(GuidedRequest, SweepRequest):
    """The guided request and the sweep's n, whether the tab's runner is ``busy`` (with any job of the tab) and which
    of this panel's jobs runs (None: none of ours)."""

    busy: bool = False
    job: CDDPMJob | None = None

    def can_sample(self, has_model: bool) -> bool:
        """Sample needs a model only: with a job running, the request waits, or wins over a chain of ours."""
        return has_model

    def can_sweep(self, has_model: bool) -> bool:
        return has_model and not self.busy

    @property
    def can_train(self) -> bool:
        return not self.busy


def guided_job(record: GuidedChainRecord, cfg: CDDPMConfig, weights: dict[str, np.ndarray], device: str | None) -> Job:
    """The job that fills ``record``, the guided chain, frame by frame."""
    return Job(
        guided_chain_job,
        {
            "cfg": cfg,
            "weights": weights,
            "n": record.n,
            "digit": record.digit,
            "guidance": record.guidance,
            "sampler": record.config,
            "seed": record.seed,
            "device": device,
        },
    )


def guidance_sweep_job(state: CDDPMState, cfg: CDDPMConfig, weights: dict[str, np.ndarray], device: str | None) -> Job:
    """The sweep over w of ``state``'s digit: ``sweep_n`` samples at each w from the seed's noise, drawn by DDIM
    with the asked K and η whichever sampler the chain uses."""
    return Job(
        sweep_job,
        {
            "cfg": cfg,
            "weights": weights,
            "digit": state.digit,
            "guidances": SWEEP,
            "n": state.sweep_n,
            "seed": state.seed,
            "sampler": state.sampler_config("ddim"),
            "device": device,
        },
    )
