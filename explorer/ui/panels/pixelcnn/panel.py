"""The PixelCNN panel: an autoregressive model writes a digit pixel by pixel, and knows its exact likelihood.

What it teaches: p(x) = ∏ p(x_i | x_<i) in raster order; masked convolutions make one pass
give every factor (so the likelihood is exact and training parallel), the two stacks leave no
blind spot, any beginning can be continued, and the price is sampling: 784 steps in turn.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtWidgets import QTabWidget, QWidget

from explorer.core.pixelcnn import PixelCNN, PixelCNNConfig, PixelCNNSnapshot, next_pixel_map, surprise
from explorer.core.pixelcnn.jobs import Written
from explorer.core.pixelcnn.panel_state import PixelCNNJob, PixelCNNState
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, weights_of
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.errors import CheckpointError
from explorer.core.vae.iwae import iwae_bounds
from explorer.core.vae.model import VAE, binarized, vae_from_checkpoint
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.pixelcnn.complete_section import CompleteSection
from explorer.ui.panels.pixelcnn.field_section import FieldSection
from explorer.ui.panels.pixelcnn.likelihood_section import LikelihoodSection, costs_text
from explorer.ui.panels.pixelcnn.training_section import TrainingSection, describe_checkpoint
from explorer.ui.panels.pixelcnn.write_section import WriteSection
from explorer.ui.panels.splitters import columns_over_training
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.focus import set_enabled
from explorer.ui.worker import Runner

NO_MODEL = "<b>No PixelCNN yet</b>: train one below, or use File ▸ Load checkpoint…."


class PixelCNNPanel(ModelPanel):
    """Write | (receptive field, completion, likelihood) above training: five sections this class lays
    out and wires to the model and to the runner's jobs. ``state`` holds what is asked for and the job running;
    the panel builds its jobs from it."""

    title = "PixelCNN"
    checkpoint_kind = "pixelcnn"
    preview_every_s = 20.0  # the test NLL and samples while training (the CLI's interval is longer)

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.test = load_mnist("test")
        self.test_binary = binarized(self.test.images, seed=0).numpy().reshape(-1, 28, 28)  # as the NLL is scored
        self._vae: VAE | None = None  # the shipped VAE, for its IWAE bounds on the scored digit
        self._vae_looked_for = False
        self.state = PixelCNNState(busy=runner.busy)
        self.refresh = StaggeredRefresh(parent=self)
        self.write_section = WriteSection(self.state)
        self.write_section.next_map = self._next_map
        self.field_section = FieldSection()
        self.complete_section = CompleteSection(self.test.images, self.state)
        self.likelihood_section = LikelihoodSection()
        self.likelihood_section.test_index.setRange(0, len(self.test_binary) - 1)
        self.training_section = TrainingSection()
        self._lay_out()
        self.write_section.write_button.clicked.connect(lambda: self.start_writing())
        self.write_section.cancel_button.clicked.connect(self.runner.stop)
        self.complete_section.complete_button.clicked.connect(lambda: self.start_completing())
        self.likelihood_section.test_index.valueChanged.connect(self.score_test_digit)
        self.likelihood_section.measure_button.clicked.connect(lambda: self.start_measuring())
        self.training_section.train_button.clicked.connect(lambda: self.start_training())
        self.model_info = self.training_section.model_info
        self.timeline = self.write_section.timeline
        self.timeline.add_shortcuts(self, "one pixel")
        self.timeline.play_button.setToolTip("Play or pause the writing (Space)")
        runner.busy_changed.connect(lambda busy: self.state.update(busy=busy))
        self.state.changed.connect(self._on_state_changed)
        self._update_buttons()

    def _lay_out(self) -> None:
        """Writing on the left, the three smaller views as tabs on the right, training folded below; fits 1280 x 720."""
        self.tabs = QTabWidget()
        for section, name in (
            (self.field_section, "Receptive field"),
            (self.complete_section, "Complete"),
            (self.likelihood_section, "Likelihood"),
        ):
            self.tabs.addTab(section, name)
        self.columns, self.rows = columns_over_training(
            self, [(self.write_section, 1, 700), (self.tabs, 1, 500)], self.training_section
        )

    # ---- model --------------------------------------------------------------------------------
    def load_shipped(self) -> None:
        """Load the shipped model and write a first batch in the background, so the panel opens on digits."""
        super().load_shipped()
        if self.model is not None and not self.runner.busy:
            self.start_writing()

    def describe(self, ckpt: Checkpoint) -> str:
        return describe_checkpoint(ckpt)

    def show_no_model(self) -> None:
        super().show_no_model()
        self.write_section.info.setText(NO_MODEL)
        self.field_section.set_model(PixelCNNConfig().layers, PixelCNNConfig().kernel, self.test_binary[0])

    def install(self, model: PixelCNN, cfg: PixelCNNConfig, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one every view uses: the written digits of the previous one are dropped."""
        self.write_section.clear()
        self.write_section.info.setText(f"Model ready ({cfg.layers} layers × {cfg.channels} channels): press Write.")
        self.field_section.set_model(cfg.layers, cfg.kernel, self.test_binary[0])
        self.score_test_digit(self.likelihood_section.test_index.value())
        metrics = ckpt.info.get("metrics", {}) if ckpt else {}
        self.likelihood_section.show_comparison(metrics.get("test_nll"), self._vae_bound())
        self._update_buttons()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        self.training_section.show_record(ckpt)

    @staticmethod
    def _vae_bound() -> float | None:
        """The shipped VAE's recorded test −ELBO (same binarisation), if it is there."""
        from explorer.core.families import FAMILIES

        try:
            return load_checkpoint(FAMILIES["vae"].default_checkpoint, kind="vae").info["metrics"]["test_neg_elbo"]
        except (CheckpointError, KeyError):
            return None

    def _shipped_vae(self) -> VAE | None:
        """The shipped VAE, loaded the first time a digit is scored, for its IWAE bounds."""
        if not self._vae_looked_for:
            from explorer.core.families import FAMILIES

            self._vae_looked_for = True
            try:
                self._vae = vae_from_checkpoint(load_checkpoint(FAMILIES["vae"].default_checkpoint, kind="vae"))[0]
            except CheckpointError:
                self._vae = None
        return self._vae

    def _next_map(self, image: np.ndarray, t: int) -> np.ndarray:
        with torch.inference_mode():
            return next_pixel_map(self.model, image, t)

    def score_test_digit(self, index: int) -> None:
        if self.model is not None:
            image = self.test_binary[index]
            self.likelihood_section.show_score(image, surprise(self.model, image))
        vae = self._shipped_vae()
        x = torch.from_numpy(self.test_binary[index].reshape(1, -1).astype(np.float32))
        self.likelihood_section.show_vae_gap(None if vae is None else iwae_bounds(vae, x, seed=index))

    # ---- jobs ---------------------------------------------------------------------------------
    def _start(self, kind: PixelCNNJob, label: str, on_done, drawing: np.ndarray | None = None) -> bool:
        """Start the job of ``kind`` the state describes, if there is a model and the runner is free."""
        if self.model is None or self.checkpoint is None:
            self.write_section.info.setText(NO_MODEL)
            return False
        if self.runner.busy:
            self.write_section.info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return False
        job = self.state.job_for(kind, self.model_cfg, weights_of(self.checkpoint), self.device, drawing)
        self.state.update(job=kind)
        self.runner.start(
            job, on_yield=lambda _: None, on_done=on_done, on_end=self._on_job_end, label=label, owner=self.title
        )
        return True

    def start_writing(self) -> None:
        """Write the chosen number of digits from the seed in the background."""
        if self._start(PixelCNNJob.WRITE, "Writing digits", self._on_written):
            self.write_section.info.setText("Writing… 784 steps, one row of 28 pixels at a time.")

    def _on_written(self, written: Written) -> None:
        self.write_section.show_written(written)
        self.training_section.show_model_samples(written.images)  # no empty box before a run

    def start_completing(self) -> None:
        """Complete the drawing outside the kept rows, the chosen number of times from the seed, in the background."""
        if self._start(PixelCNNJob.COMPLETE, "Completing a digit", self._on_completed, self.complete_section.drawing()):
            self.complete_section.info.setText("Completing… the hidden pixels are written one after another.")

    def _on_completed(self, written: Written) -> None:
        self.complete_section.show_completions(written.images, written.seconds)

    def start_measuring(self) -> None:
        if self._start(PixelCNNJob.COSTS, "Timing the samplers", self._on_measured):
            self.likelihood_section.costs_info.setText("Measuring… each model draws its digits in turn.")

    def _on_measured(self, seconds: dict[str, float]) -> None:
        self.likelihood_section.costs_info.setText(costs_text(seconds))

    def _on_job_end(self, succeeded: bool) -> None:
        self.state.update(job=None)

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> PixelCNNConfig:
        return self.training_section.training_config()

    def on_training_started(self, cfg: PixelCNNConfig) -> None:
        self.training_section.start_curves(cfg.steps)
        self.state.update(job=PixelCNNJob.TRAINING)
        self.model_info.setText(f"Training… the test NLL and the samples refresh every {self.preview_every_s:.0f} s.")

    def on_snapshot(self, snap: PixelCNNSnapshot) -> None:
        self.training_section.follow(snap, self.refresh)

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)
        self._update_buttons()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if names & {"busy", "job"}:
            self._update_buttons()

    def _update_buttons(self) -> None:
        state = self.state
        for button in (
            self.write_section.write_button,
            self.complete_section.complete_button,
            self.likelihood_section.measure_button,
        ):
            set_enabled(button, state.can_start(self.model is not None))
        set_enabled(self.write_section.cancel_button, state.can_cancel)
        set_enabled(self.training_section.train_button, state.can_train)
