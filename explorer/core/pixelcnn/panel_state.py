"""The PixelCNN panel's state: the writing and the completion asked for, and which of the panel's jobs runs.

The Write row (how many digits, the seed) and the Complete form (the rows kept, how many completions) write
here as the learner edits them; the panel builds its jobs from this state and the drawing on the canvas,
never from a spin box, so a test sets the state and reads the job and the actions it allows without any
widget. Each limit is declared once, on these fields, and the forms take their ranges from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from explorer.core.pixelcnn.jobs import MAX_WRITE, sampling_costs, writing
from explorer.core.pixelcnn.model import SIDE, PixelCNNConfig
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.limits import SEED_MAX, bounded


class PixelCNNJob(Enum):
    """Which of the PixelCNN panel's jobs runs: writing digits, completing one, timing the samplers, or training."""

    WRITE = "write"
    COMPLETE = "complete"
    COSTS = "costs"
    TRAINING = "training"


SAMPLING = frozenset({PixelCNNJob.WRITE, PixelCNNJob.COMPLETE, PixelCNNJob.COSTS})  # the jobs Cancel stops


def kept_rows(keep_rows: int) -> np.ndarray:
    """(28, 28) bool: the rows a completion keeps as given, rows 0 to ``keep_rows`` (none for 0: keep nothing)."""
    mask = np.zeros((SIDE, SIDE), dtype=bool)
    mask[: keep_rows + 1 if keep_rows else 0] = True
    return mask


@dataclass(eq=False)
class PixelCNNState(Evented):
    """``n`` digits written from ``seed``; ``completions`` endings of a drawing whose rows 0 to ``keep_rows`` are kept
    (the same seed); whether the tab's runner is ``busy`` and which of the panel's jobs runs (None: none of ours)."""

    n: int = bounded(8, 1, MAX_WRITE)
    seed: int = bounded(0, 0, SEED_MAX)
    keep_rows: int = bounded(SIDE // 2, 0, SIDE - 1)
    completions: int = bounded(8, 1, MAX_WRITE)
    busy: bool = False
    job: PixelCNNJob | None = None

    def known(self) -> np.ndarray:
        """(28, 28) bool: the rows a completion keeps."""
        return kept_rows(self.keep_rows)

    def can_start(self, has_model: bool) -> bool:
        """Write, Complete and the sampler timing need a model and a free runner."""
        return has_model and not self.busy

    @property
    def can_cancel(self) -> bool:
        """Cancel stops a writing, a completion or a timing of ours (training has its own Stop)."""
        return self.busy and self.job in SAMPLING

    @property
    def can_train(self) -> bool:
        return not self.busy

    def writing_job(self, cfg: PixelCNNConfig, weights: dict[str, np.ndarray], device: str | None) -> Job:
        """Write ``n`` digits from ``seed``."""
        return Job(writing, {"cfg": cfg, "weights": weights, "device": device, "n": self.n, "seed": self.seed})

    def completing_job(
        self, drawing: np.ndarray, cfg: PixelCNNConfig, weights: dict[str, np.ndarray], device: str | None
    ) -> Job:
        """Complete ``drawing`` (28, 28) outside the kept rows, ``completions`` times from ``seed``."""
        n = self.completions
        given, known = np.repeat(drawing[None], n, axis=0), np.repeat(self.known()[None], n, axis=0)
        return Job(
            writing,
            {
                "cfg": cfg,
                "weights": weights,
                "device": device,
                "n": n,
                "seed": self.seed,
                "given": given,
                "known": known,
            },
        )

    def job_for(
        self,
        kind: PixelCNNJob,
        cfg: PixelCNNConfig,
        weights: dict[str, np.ndarray],
        device: str | None,
        drawing: np.ndarray | None = None,
    ) -> Job:
        """The job of ``kind`` (not training: the panel's base class builds that) for a model of ``cfg`` and
        ``weights``; a completion completes ``drawing``."""
        if kind is PixelCNNJob.WRITE:
            return self.writing_job(cfg, weights, device)
        if kind is PixelCNNJob.COMPLETE:
            assert drawing is not None, "a completion completes a drawing"
            return self.completing_job(drawing, cfg, weights, device)
        if kind is PixelCNNJob.COSTS:
            return Job(sampling_costs, {"cfg": cfg, "weights": weights, "device": device})
        raise ValueError(f"{kind} is not a job the state builds")
