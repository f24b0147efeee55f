"""The Conditional GAN tab's state: the game the learner asks for, the styles on show, and whether it is played.

The tab's form writes the game's length and where it starts from here as the learner edits them; the tab builds
its run's ``CGANConfig`` from this state, never from a spin box, and its buttons follow the runner's ``busy``
mirrored here and ``job``. So a test sets the state and reads the config and the buttons open without any
widget. The game's length takes CGANConfig's limits, declared once there.

The GAN tab's ``GANPanelState`` is not reused: that state steers a game move by move (pause, step, slow motion,
a game replaced before its first move) through a live session, while this tab trains a ``CGANConfig`` as any
model panel does, Train and Stop only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from explorer.core.cgan.nets import CGANConfig
from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import load_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.limits import SEED_MAX, bounded, declared_as

FORM_STEPS = 500  # the form's first game: the digits take hold within a few hundred steps from the GAN
ARCHITECTURE = ("latent_dim", "channels", "depth", "d_norm")  # what a game from the GAN must share with it
SCRATCH: dict[str, Any] = {"channels": 16, "depth": 0, "ema": 0.0}  # a game a CPU plays fast enough to watch


class StartFrom(Enum):
    """Where a game's nets start: the shipped unconditional GAN (label pathways at zero) or random weights."""

    GAN = "the shipped GAN"
    SCRATCH = "scratch (16 channels)"


class CGANJob(Enum):
    """Which of the tab's jobs runs: it has one, the game (training; the grid and bars follow G as it learns)."""

    TRAINING = "training"


@dataclass(eq=False)
class CGANRequest(Evented):
    """The game asked for: its length in ``steps`` and where it starts from."""

    steps: int = declared_as(CGANConfig, "steps", default=FORM_STEPS)
    start_from: StartFrom = StartFrom.GAN

    def training_config(self) -> CGANConfig:
        """The game asked for; from the shipped GAN, with its nets (CheckpointError if that file is missing or
        unreadable)."""
        if self.start_from is StartFrom.SCRATCH:
            return CGANConfig(steps=self.steps, **SCRATCH)
        path = FAMILIES["gan"].default_checkpoint
        if not path.is_file():
            raise CheckpointError(
                f"There is no shipped GAN to start from ({path.name} is not there): choose to start from scratch."
            )
        gan = load_checkpoint(path, kind="gan")
        shared = {k: gan.config[k] for k in ARCHITECTURE if k in gan.config}
        return CGANConfig(steps=self.steps, **shared, init_from=str(path))


@dataclass(eq=False)
class CGANState(CGANRequest):
    """The request; the ``seed`` of the style × digit grid's z; whether a model is loaded; whether the tab's runner
    is ``busy`` (with any job, the tab's or not) and which of the tab's jobs runs (None: none of ours)."""

    seed: int = bounded(0, 0, SEED_MAX)
    has_model: bool = False
    busy: bool = False
    job: CGANJob | None = None

    def new_styles(self) -> None:
        """Other z for the grid: the next seed."""
        self.update(seed=self.seed + 1)

    @property
    def can_train(self) -> bool:
        return not self.busy

    @property
    def can_stop(self) -> bool:
        return self.job is CGANJob.TRAINING

    @property
    def can_draw_styles(self) -> bool:
        """New styles redraws the loaded G's grid; while a game plays the grid follows the game."""
        return self.has_model and self.job is None
