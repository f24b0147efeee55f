"""The 2-D Lab's state in one Qt-free object: what the learner asked for, what is on show, which job runs.

The panel builds its trainings' configs and jobs from it (``training_config``, ``training_job``), never from a
widget; "Train all" is a flag here, not in the trainer, so a test reads where a run of every family is.

Sections bind to it (``state.changed.connect``) and write to it with ``state.update(...)``; they never
read each other's widgets, and tests drive the panel by setting the state and reading it back.
One ``changed`` callback list carries the names of the fields that changed, so a drag that moves
the σ slider costs one notification, not one per field (STYLE.md 10).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

import numpy as np

from explorer.core.plane.data import make_preset
from explorer.core.plane.draw import PlaneModel
from explorer.core.plane.langevin import Trajectory
from explorer.core.plane.models import DDPMConfig, ScoreConfig
from explorer.core.plane.quality import QUALITY_N
from explorer.core.plane.requests import LangevinRequest, SamplerRequest
from explorer.core.plane.sweep import SweepPoint
from explorer.core.plane.training import train_plane
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.jobs import Job

DRAWING = "drawing"  # the source name of points the learner drew or loaded


class LabJob(enum.Enum):
    """What the lab is doing in the background (one at a time, through the project's runner)."""

    IDLE = "idle"
    TRAINING = "training"
    SWEEP = "quality against NFE"


@dataclass(eq=False)
class LabState(Evented):
    """Everything the 2-D Lab shows and is asked; change it with ``set`` so every view follows."""

    # The data, shared by every model in the lab.
    source: str = "ring"  # a preset's name, or DRAWING
    points: np.ndarray = field(default_factory=lambda: make_preset("ring"))
    drawing: bool = False  # the mouse draws points (left adds, right erases) instead of panning
    brush: float = 0.3  # the brush's radius, in data units
    # The field under the points, at noise level σ.
    field_source: str = "exact"
    sigma: float = 0.5
    heat: bool = True
    # The requests.
    langevin: LangevinRequest = field(default_factory=LangevinRequest)
    langevin_noise: bool = True
    langevin_denoise: bool = True  # annealed Langevin ends with the final denoising step
    sampler: SamplerRequest = field(default_factory=SamplerRequest)
    train_model: str = "ddpm"  # "score" or "ddpm"
    train_steps: int = DDPMConfig().steps  # both models' default
    # What "Train all" trains for the part-1 models (the flows' configs are in FlowState).
    score_cfg: ScoreConfig = field(default_factory=ScoreConfig)
    ddpm_cfg: DDPMConfig = field(default_factory=DDPMConfig)
    # The models.
    score_model: PlaneModel | None = None
    ddpm_model: PlaneModel | None = None
    # What is on show: the particles' trajectory, its frame, and the numbers.
    trajectory: Trajectory | None = None
    trajectory_title: str = ""
    frame: int = 0
    shares: dict[str, np.ndarray] = field(default_factory=dict)  # run name -> share of particles per mode
    quality: dict[str, tuple[float, float]] = field(default_factory=dict)  # what was judged -> (MMD², floor)
    sweep: list[SweepPoint] = field(default_factory=list)
    sweep_n: int = QUALITY_N  # samples (and data points) each point of quality against NFE is judged on
    # Training: every family's loss curve of its last run, which family trains now, what "Train all" has
    # left to train after it, and a line saying how far the running one is and how long it has left.
    losses: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    training: str = ""
    training_cfg: ScoreConfig | DDPMConfig | None = None  # the score net's or the DDPM's, while it trains
    train_all: bool = False  # "Train all" is under way: its last family ends with quality against NFE
    queue: tuple[str, ...] = ()
    progress: str = ""
    job: LabJob = LabJob.IDLE

    def training_config(self, family: str) -> ScoreConfig | DDPMConfig:
        """The Training form's run of ``family`` ("score" or "ddpm"): its defaults for the form's steps."""
        return (ScoreConfig if family == "score" else DDPMConfig)(steps=self.train_steps)

    def training_job(self, cfg: ScoreConfig | DDPMConfig) -> Job:
        """The job that trains ``cfg`` on the lab's data."""
        return Job(train_plane, {"cfg": cfg, "points": self.points, "source": self.source})

    def with_request(self, name: str, **values: object) -> None:
        """Replace fields of a request (``langevin`` or ``sampler``); the dataclass checks its limits."""
        self.update(**{name: replace(getattr(self, name), **values)})

    @property
    def frame_points(self) -> np.ndarray | None:
        if self.trajectory is None:
            return None
        return self.trajectory.frames[min(self.frame, len(self.trajectory.frames) - 1)]
