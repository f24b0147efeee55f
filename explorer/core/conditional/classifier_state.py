"""The classifier-guidance tab's state: the digit, the classifier's scale s, the sampler and seed the two grids
are drawn with, the sweep's n, and which job runs.

The digit buttons, the w and s sliders, the sampler row and the sweep's n write here as the learner edits them;
the tab builds its comparison's and its sweep's jobs from this state alone, so a test sets the state and reads
the job and the buttons open without any widget. The scale's limit is the one ``check_classifier_scale``
enforces, declared once as MAX_CLASSIFIER_SCALE.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from explorer.core.conditional.cddpm import CDDPMConfig
from explorer.core.conditional.cddpm_state import GuidedRequest, SweepRequest
from explorer.core.conditional.classifier_guidance import MAX_CLASSIFIER_SCALE
from explorer.core.conditional.jobs import classifier_sweep_job, guidance_comparison_job
from explorer.core.conditional.noisy_classifier import NoisyClassifierConfig
from explorer.core.conditional.sweep import CLASSIFIER_SWEEP
from explorer.core.diffusion import DDPMConfig
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.limits import bounded

SCALE = 4.0  # the scale the tab opens on: clearly steered, still varied
Weights = dict[str, np.ndarray]
Models = tuple[tuple[DDPMConfig, Weights], tuple[NoisyClassifierConfig, Weights]]  # the DDPM's and p_φ's


class ClassifierJob(Enum):
    """Which of the tab's jobs runs: the two grids drawn from the same x_T, or the sweep over s."""

    COMPARISON = "comparison"
    SWEEP = "sweep"


@dataclass(eq=False)
class ClassifierGuidanceState(GuidedRequest, SweepRequest):
    """The guided request (digit, w, sampler, n, seed) with the classifier's ``scale`` s and the sweep's n;
    whether the tab has drawn once (it draws on first show); the runner's ``busy`` (with any job) and which of
    the tab's jobs runs (None: none of ours)."""

    scale: float = bounded(SCALE, 0.0, MAX_CLASSIFIER_SCALE)
    drawn: bool = False
    busy: bool = False
    job: ClassifierJob | None = None

    @property
    def can_draw(self) -> bool:
        return not self.busy

    @property
    def can_sweep(self) -> bool:
        return not self.busy

    def comparison_text(self) -> str:
        """The comparison in words, as the status bar gives it."""
        return (
            f"Drawing {self.digit}s by classifier guidance (s = {self.scale:g}) "
            f"and classifier-free guidance (w = {self.w:g})"
        )

    def comparison_job(self, models: Models, cddpm: tuple[CDDPMConfig, Weights] | None, device: str | None) -> Job:
        """The request's digit drawn n times by classifier guidance and, given a cDDPM, by classifier-free
        guidance, both from the seed's x_T."""
        ddpm, noisy = models
        return Job(
            guidance_comparison_job,
            {
                "ddpm": ddpm,
                "noisy": noisy,
                "cddpm": cddpm,
                "n": self.n,
                "digit": self.digit,
                "scale": self.scale,
                "guidance": self.w,
                "sampler": self.sampler_config(),
                "seed": self.seed,
                "device": device,
            },
        )

    def sweep_job(self, models: Models, device: str | None) -> Job:
        """The sweep over s of the request's digit: ``sweep_n`` samples at each s from the seed's noise, drawn by
        DDIM with the asked K and η whichever sampler the grids use."""
        ddpm, noisy = models
        return Job(
            classifier_sweep_job,
            {
                "ddpm": ddpm,
                "noisy": noisy,
                "digit": self.digit,
                "scales": CLASSIFIER_SWEEP,
                "n": self.sweep_n,
                "seed": self.seed,
                "sampler": self.sampler_config("ddim"),
                "device": device,
            },
        )
