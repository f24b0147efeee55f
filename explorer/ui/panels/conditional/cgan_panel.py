"""The Conditional GAN tab: G(z, y) and D(x, y) told the digit (Mirza & Osindero 2014; D with a projection,
Miyato & Koyama 2018), trained live as the GAN tab's game is played.

What it teaches: the style × digit grid keeps z along a row and y along a column, so what a row shares (slant,
thickness) is what z holds once y says which digit; the bars show how surely G draws the digit it was asked for.
"""

from __future__ import annotations

import copy

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from explorer.core.cgan.model import asked_digits_read, style_digit_grid
from explorer.core.cgan.nets import CGANConfig, ConditionalGenerator
from explorer.core.cgan.panel_state import CGANJob, CGANState
from explorer.core.gan.game import STYLE_ROWS
from explorer.core.gan.session import GANSnapshot
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.jobs import Job
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.conditional.cgan_training import AskedDigitsChart, CGANTrainingBox, describe_checkpoint
from explorer.ui.panels.gan.game_plots import GamePlots
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.run_record import earlier_steps
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.focus import set_enabled
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.worker import Runner

GRID_ROWS = 6  # styles in the loaded model's grid
GRID_TITLE = "style × digit: each row one z, each column the digit y asked for"
LIVE_TITLE = f"the game's fixed z ({STYLE_ROWS} rows) as each digit"


class CGANPanel(ModelPanel):
    """The style × digit grid and the training box beside the GAN tab's live plots and the asked-digit bars;
    ``state`` holds the game asked for, the grid's seed and which job runs, and the buttons follow it."""

    title = "Conditional"  # the main window's tab, which its jobs belong to
    name = "Conditional GAN"
    checkpoint_kind = "cgan"
    preview_every_s = 2.0  # the grid and the bars follow the game every two seconds
    keeps_stopped_run = True  # a stopped game's curves stay for review, as the GAN tab's

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.state = CGANState(busy=runner.busy)
        self.snapshot: GANSnapshot | None = None
        self.refresh = StaggeredRefresh(parent=self)
        self.grid = ImageView(GRID_TITLE)
        self.new_styles = QPushButton("New styles")
        self.new_styles.setToolTip("Draw the grid again from other z")
        self.training = CGANTrainingBox(state=self.state)
        self.model_info = self.training.model_info
        self.dashboard = GamePlots()
        self.dashboard.classes.hide()  # its place: the share read as asked, the cGAN's meter
        self.asked = AskedDigitsChart()
        plots = self.dashboard.layout()
        assert isinstance(plots, QVBoxLayout)
        plots.addWidget(self.asked, 1)
        self.meter = LatestOnly(self.asked)  # the loaded G's share read as asked, counted off the GUI thread
        self._lay_out()
        self.new_styles.clicked.connect(self.state.new_styles)
        self.training.train_button.clicked.connect(lambda: self.start_training())
        self.training.stop_button.clicked.connect(runner.stop)
        runner.busy_changed.connect(lambda busy: self.state.update(busy=busy))
        self.state.changed.connect(self._on_state_changed)
        self._show_empty()
        self._on_state_changed(frozenset({"busy"}))

    def _lay_out(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.grid, 1)
        left.addWidget(self.new_styles)
        left.addWidget(self.training)
        row = QHBoxLayout(self)
        row.addLayout(left, 3)
        row.addWidget(self.dashboard, 2)

    @property
    def seed(self) -> int:
        """The seed of the grid's z (the state's)."""
        return self.state.seed

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "seed" in names:
            self.draw_grid()
        if names & {"busy", "job", "has_model"}:
            set_enabled(self.training.train_button, self.state.can_train)
            set_enabled(self.training.stop_button, self.state.can_stop)
            set_enabled(self.new_styles, self.state.can_draw_styles)

    # ---- model --------------------------------------------------------------------------------
    def missing_shipped(self) -> list:
        """None: the cGAN is not shipped yet, and the tab itself says how to get one (no launch dialog)."""
        return []

    def show_no_model(self) -> None:
        self.model_info.setText(
            f"No conditional GAN loaded ({self.family.default_checkpoint.name} is not shipped). Press Train: "
            "the game starts from the shipped GAN; or run `gen-explorer train cgan --init-from "
            "checkpoints/gan.safetensors` and File ▸ Load checkpoint…."
        )
        self._show_empty()

    def _show_empty(self) -> None:
        self.grid.blank()
        self.grid.label.setText(f"{GRID_TITLE}<br><i>drawn here once a model is trained or loaded</i>")
        self.state.update(has_model=False)
        self.asked.set_shares(None)

    def describe(self, ckpt: Checkpoint) -> str:
        return describe_checkpoint(ckpt)

    def install(self, model: ConditionalGenerator, cfg: CGANConfig, ckpt: Checkpoint | None) -> None:
        self.state.update(has_model=True)
        self.draw_grid()
        self.asked.set_shares(None)
        # 500 digits drawn and classified: about a second on a CPU, so in a pool thread, on a copy of G
        self.meter.start(asked_digits_read, copy.deepcopy(model), cfg, on_done=self._show_asked)

    def _show_asked(self, shares: np.ndarray | None) -> None:
        if not self.is_training:  # a game's own meter wins over a count begun before it
            self.asked.set_shares(shares)

    def draw_grid(self) -> None:
        """The loaded G's style × digit grid: GRID_ROWS fixed z (from the panel's seed), each as 0..9."""
        if self.model is None:
            self._show_empty()
            return
        self.grid.label.setText(GRID_TITLE)
        grid = style_digit_grid(self.model, GRID_ROWS, self.seed)  # (rows, 10, 28, 28)
        self.grid.set_image(tile(grid.reshape(-1, 28, 28), 10))

    def show_record(self, ckpt: Checkpoint | None) -> None:
        if ckpt is None:
            self.dashboard.show_history(None, 1)
            return
        self.dashboard.show_history(ckpt.info.get("history", []), ckpt.info.get("steps", 1), earlier_steps(ckpt.info))

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> CGANConfig:
        return self.state.training_config()

    def training_job(self, cfg: CGANConfig) -> Job:
        return Job(self.family.train, {"cfg": cfg, "device": self.device, "samples_every_s": self.preview_every_s})

    def on_training_started(self, cfg: CGANConfig) -> None:
        self.snapshot = None
        self.meter.cancel()
        self.dashboard.clear_curves()
        self.dashboard.set_smoothing(cfg.label_smoothing)
        for plot in (self.dashboard.losses, self.dashboard.outputs):
            plot.set_x_span(cfg.steps)
        self.grid.label.setText(LIVE_TITLE)
        self.state.update(job=CGANJob.TRAINING)
        self.model_info.setText("Training… the grid and the bars follow G as it learns to draw the digit asked.")

    def on_snapshot(self, snap: GANSnapshot) -> None:
        self.dashboard.add_points(snap, self.snapshot)
        self.snapshot = snap
        self.refresh.request("curves", self._redraw_curves)
        self.refresh.request("histogram", lambda: self.dashboard.draw_histogram(snap))
        if snap.samples is not None:
            samples = snap.samples
            self.refresh.request("grid", lambda: self.grid.set_image(tile(samples, 10)))
        if snap.asked_read is not None:
            shares = snap.asked_read
            self.refresh.request("asked", lambda: self.asked.set_shares(shares))

    def _redraw_curves(self) -> None:
        self.dashboard.losses.redraw()
        self.dashboard.outputs.redraw()

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None, has_model=self.model is not None)
        if not succeeded and self.model is not None:
            self.grid.label.setText(GRID_TITLE)
            self.draw_grid()
