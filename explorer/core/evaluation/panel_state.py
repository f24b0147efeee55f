"""The Evaluate panel's state: which models to score, with how many samples and which seed, and the run going on.

The form's check boxes and spin boxes write here as the learner edits them; the panel builds its evaluation's
``Job`` from this state and the checkpoints there are, never from a check box, so a test sets the state and
reads the job and the actions it allows without any widget. N's limits are the evaluation's (``MIN_N``,
``MAX_N``), declared once beside the check that enforces them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from explorer.core.evaluation.evaluate import FLOOR, MAX_N, MIN_N, evaluate_models
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.limits import SEED_MAX, bounded

FORM_N = 2000  # samples per model the form offers first: a run of a few minutes on a laptop's CPU


class EvaluateJob(Enum):
    """Which of the Evaluate panel's jobs runs: it has one, the evaluation of the ticked models and the floor."""

    EVALUATION = "evaluation"


@dataclass(eq=False)
class EvaluationRequest(Evented):
    """The run asked for: the ``models`` ticked (names of model families), ``n`` samples of each (and real
    training digits for the floor), drawn from ``seed``."""

    models: frozenset[str] = field(default_factory=frozenset)
    n: int = bounded(FORM_N, MIN_N, MAX_N)
    seed: int = bounded(0, 0, SEED_MAX)

    def scored(self, available: list[str]) -> list[str]:
        """The ticked models that have a checkpoint, in the order of ``available``."""
        return [name for name in available if name in self.models]

    def evaluation_job(
        self,
        available: list[str],
        checkpoints: dict[str, Path],
        device: str | None,
        reference_limit: int = 0,
        n: int | None = None,
        seed: int | None = None,
    ) -> Job:
        """Score the ticked ``available`` models (their files in ``checkpoints``) and the floor on ``device``
        against the first ``reference_limit`` test digits (0: all); ``n`` and ``seed`` replace the request's."""
        models = self.scored(available)
        return Job(
            evaluate_models,
            {
                "models": models,
                "n": n or self.n,
                "seed": self.seed if seed is None else seed,
                "device": device,
                "checkpoints": {name: str(checkpoints[name]) for name in models},
                "reference_limit": reference_limit,
            },
        )


@dataclass(eq=False)
class EvaluateState(EvaluationRequest):
    """The request, whether the tab's runner is ``busy`` (with any job, the panel's or not), which of the panel's
    jobs runs (None: none of ours) and the rows it will fill (``running``: the models and the floor)."""

    busy: bool = False
    job: EvaluateJob | None = None
    running: tuple[str, ...] = ()

    def begin(self, models: list[str]) -> None:
        """An evaluation of ``models`` (and the floor) starts."""
        self.update(job=EvaluateJob.EVALUATION, running=(*models, FLOOR))

    def end(self) -> None:
        self.update(job=None, running=())

    @property
    def can_evaluate(self) -> bool:
        """Evaluate needs a free runner."""
        return not self.busy

    def can_tick(self, name: str, available: list[str]) -> bool:
        """A model's box is open while the runner is free, if the model has a checkpoint."""
        return not self.busy and name in available
