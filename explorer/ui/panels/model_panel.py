"""What every panel with a trainable model shares, once: load the shipped model, install a
model in every view, train with live snapshots, stop and restore, save and load.

The main window talks to any panel through ``PanelProtocol``; a trainable panel is a
``ModelPanel`` whose subclass fills in the hooks (``install``, ``describe``, the snapshot and
start/end of training) and keeps its own maths out: it composes section widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtWidgets import QLabel, QWidget

from explorer.core.families import FAMILIES
from explorer.core.kinds import kind_title
from explorer.core.runtime.checkpoints import Checkpoint, save_checkpoint
from explorer.core.runtime.jobs import Job
from explorer.ui.worker import Runner


class LoadedModel(NamedTuple):
    """A checkpoint read and validated whole, not yet shown: the model, its config, the file and its description."""

    model: Any
    cfg: Any
    ckpt: Checkpoint
    description: str


NOT_SAVED = "\nNot saved yet: File ▸ Save checkpoint… keeps it."
RESTORED = "\nTraining did not finish: the previous model is back."


class ModelPanel(QWidget):
    """Base of the VAE, Diffusion and GAN panels; a subclass names its ``checkpoint_kind``
    (a key of ``FAMILIES``), builds ``model_info`` and fills in the hooks below."""

    title = ""
    checkpoint_kind = ""
    preview_every_s: float | None = None  # how often training previews samples here (None: the family's default,
    # which is long for a model whose preview is slow on a CPU, as the CLI wants it)
    model_info: QLabel
    keeps_stopped_run = False  # True: after Stop the run's curves stay for review (the GAN's game) until the next

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.family = FAMILIES[self.checkpoint_kind]
        self.model: Any = None
        self.model_cfg: Any = None
        self.checkpoint: Checkpoint | None = None
        self._before_training: tuple[Any, Any, Checkpoint | None] | None = None
        runner.stopping.connect(self._on_stopping)

    # ---- hooks a subclass fills in -------------------------------------------------------------
    def install(self, model: Any, cfg: Any, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one every view of the panel shows."""
        raise NotImplementedError

    def describe(self, ckpt: Checkpoint) -> str:
        """A few lines on a checkpoint for ``model_info``: what it is, how well, how it was trained."""
        raise NotImplementedError

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """Show what the checkpoint recorded of its training (its curves); none: clear them."""

    def show_no_model(self) -> None:
        self.model_info.setText(
            f"No shipped model yet ({self.family.default_checkpoint.name} is not there): "
            "press Train, or File ▸ Load checkpoint…."
        )

    def training_config(self) -> Any:
        raise NotImplementedError

    def training_job(self, cfg: Any) -> Job:
        """The job that trains from ``cfg``: the family's training generator, on the panel's device."""
        preview = {} if self.preview_every_s is None else {"samples_every_s": self.preview_every_s}
        return Job(self.family.train, {"cfg": cfg, "device": self.device, **preview})

    def on_training_started(self, cfg: Any) -> None:
        """Clear the views of the last run before the first snapshot arrives."""

    def on_snapshot(self, snap: Any) -> None:
        raise NotImplementedError

    def on_training_ended(self, succeeded: bool) -> None:
        """Draw what is still queued, re-enable controls; called before the model is restored."""

    # ---- the model -----------------------------------------------------------------------------
    def load_shipped(self) -> None:
        """Load the shipped checkpoint; without one the panel says so (a bad file raises CheckpointError)."""
        path = self.family.default_checkpoint
        if not path.is_file():
            self.show_no_model()
            return
        self.load_checkpoint(path)

    def missing_shipped(self) -> list[Path]:
        """The shipped checkpoints this panel opens on that are not there (for the launch's one dialog)."""
        path = self.family.default_checkpoint
        return [] if path.is_file() else [path]

    def read_checkpoint(self, path: str | Path) -> LoadedModel:
        """Read and validate a checkpoint whole (its header, config, record and weights, and the description
        made of them) without changing anything on screen; CheckpointError with a message if it is bad."""
        model, cfg, ckpt = self.family.load(path)
        return LoadedModel(model, cfg, ckpt, self.describe(ckpt))

    def install_loaded(self, loaded: LoadedModel) -> None:
        """Show a model ``read_checkpoint`` has validated in every view."""
        self._install_with_record(loaded.model, loaded.cfg, loaded.ckpt)
        self.model_info.setText(loaded.description)

    def load_checkpoint(self, path: str | Path) -> None:
        """Load, validate and install a checkpoint (CheckpointError with a message if it is bad, and then
        nothing on screen has changed)."""
        self.install_loaded(self.read_checkpoint(path))

    def save_checkpoint(self, path: str | Path) -> None:
        if self.checkpoint is None:
            raise RuntimeError("There is no model to save yet: load one, or train one to the end.")
        save_checkpoint(path, self.checkpoint)
        self.model_info.setText(self.describe(self.checkpoint) + f"\nSaved to {Path(path).name}.")

    def _install_with_record(self, model: Any, cfg: Any, ckpt: Checkpoint | None) -> None:
        self.model, self.model_cfg, self.checkpoint = model, cfg, ckpt
        self.install(model, cfg, ckpt)
        self.show_record(ckpt)

    # ---- training ------------------------------------------------------------------------------
    @property
    def is_training(self) -> bool:
        """Whether a training run of this panel is under way (its model not yet the trained one)."""
        return self._before_training is not None

    def start_training(self, cfg: Any = None) -> None:
        """Train from ``cfg`` (or the form's settings) in the background, with live snapshots."""
        if self.runner.busy:
            self.model_info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        cfg = cfg or self.training_config()
        self._before_training = (self.model, self.model_cfg, self.checkpoint)
        self.on_training_started(cfg)
        self.runner.start(
            self.training_job(cfg),
            on_yield=self.on_snapshot,
            on_done=self._on_trained,
            on_end=self._on_training_end,
            label=f"Training {kind_title(self.checkpoint_kind)}",
            owner=self.title,
        )

    def _on_stopping(self) -> None:
        """Say at once that Stop was heard: the step in progress may take seconds to end."""
        if self._before_training is not None:
            back = "the previous model comes back" if self._before_training[0] is not None else "nothing is kept"
            self.model_info.setText(f"Stopping… {back} when the step in progress ends.")

    def _on_trained(self, ckpt: Checkpoint) -> None:
        """Install the trained model; its curves are the ones the run just drew, so they stay."""
        model, cfg = self.family.from_checkpoint(ckpt)
        self.model, self.model_cfg, self.checkpoint = model, cfg, ckpt
        self.install(model, cfg, ckpt)
        self.model_info.setText(self.describe(ckpt) + NOT_SAVED)

    def _on_training_end(self, succeeded: bool) -> None:
        """After Stop or a failure every view shows the model that is loaded: the one from before."""
        before, self._before_training = self._before_training, None
        self.on_training_ended(succeeded)
        if succeeded or before is None or self.runner.busy:  # busy: the hook began another run (a reset)
            return
        model, cfg, ckpt = before
        if model is None or ckpt is None:  # there was none: no view may keep the aborted run's model
            self.model = self.model_cfg = self.checkpoint = None
            if not self.keeps_stopped_run:
                self.show_record(None)
            self.model_info.setText("Training did not finish; there is no model yet.")
            return
        if model is not self.model:
            self.model, self.model_cfg, self.checkpoint = model, cfg, ckpt
            self.install(model, cfg, ckpt)
        if not self.keeps_stopped_run:  # the views never left the model (only the curves did)
            self.show_record(ckpt)
        self.model_info.setText(self.describe(ckpt) + RESTORED)
