"""The GAN panel: watch a generator G and a discriminator D play their game, move by move.

What it teaches: D learns to tell real digits from G's fakes while G learns to fool D.
Single steps of either player, slow motion and the 2-D toy game show how each move changes
the other's footing; at the equilibrium D can only guess, D(x) = D(G(z)) = 1/2.
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from explorer.core.gan import (
    CLASS_SAMPLES,
    HIST_BINS,
    TOY_EXTENT,
    TOY_POINTS,
    GANConfig,
    GANSnapshot,
    gan_from_checkpoint,
    gan_session,
    generate,
    interpolate,
    ring_of_gaussians,
    sample_images,
)
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.jobs import Job
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.class_histogram import ClassHistogram
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.decision_plane import DecisionPlane
from explorer.ui.widgets.filmstrip import Filmstrip
from explorer.ui.widgets.histogram_plot import HistogramPlot
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import pin_width, status_label
from explorer.ui.worker import Runner

MODES = (("mnist", "MNIST digits (DCGAN)"), ("toy", "toy: ring of 8 Gaussians (MLPs)"))
OBJECTIVES = (("non_saturating", "non-saturating −log D(G(z))"), ("minimax", "minimax log(1 − D(G(z)))"))
REAL, FAKE = "#1f77b4", "#ff7f0e"
INTERPOLATION_STEPS = 10
SAMPLE_GRID_PX = 4 * 30 - 2  # the 16 preview digits tiled 4 x 4 with 2-pixel gaps
EXPLANATION = (
    "D(x) is D's probability that a real digit is real, D(G(z)) that a fake one is. D pushes the first "
    "up and the second down; G pushes the second up. When G's samples match the data D can only guess: "
    "D(x) = D(G(z)) = 0.5 and D's loss is 2 log 2 ≈ 1.39 (dashed lines). Minimax G minimises log(1 − D(G(z))), "
    "whose gradient vanishes when D rejects fakes confidently (D(G(z)) ≈ 0), early in training; the "
    "non-saturating −log D(G(z)) pushes hardest exactly then."
)


class ProbabilityPlot(CurvePlot):
    """Curves of probabilities: y stays on [0, 1], so a new point never re-ranges (repaints) the axes."""

    def __init__(self, title: str, x_label: str, y_label: str, parent: QWidget | None = None) -> None:
        super().__init__(title, x_label, y_label, parent)
        self.setYRange(0.0, 1.0, padding=0.02)

    def _fit_y(self) -> None:
        pass


class GANPanel(ModelPanel):
    """Training controls with single steps and slow motion, live curves and histograms, the
    fixed-noise sample grid and its filmstrip (or the toy plane), and a sampler for a trained G."""

    title = "GAN"
    checkpoint_kind = "gan"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.generator: torch.nn.Module | None = None  # the MNIST generator to sample from
        self.session_cfg: GANConfig | None = None  # the game being played (None: none is running)
        self.snapshot: GANSnapshot | None = None  # the latest one
        self.sample_seed = 0
        self._reset_requested = False
        self.refresh = StaggeredRefresh(parent=self)
        self._build()
        runner.busy_changed.connect(self._on_runner_changed)
        runner.paused_changed.connect(self._on_runner_changed)
        self._on_mode_changed()
        self._update_buttons()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.grid = ImageView("no generator yet: press Start, or a Step button to go move by move")
        self.filmstrip = Filmstrip(8, frame_shape=(SAMPLE_GRID_PX, SAMPLE_GRID_PX))
        self.filmstrip.setFixedHeight(125)
        self.sample_button = QPushButton("New samples")
        self.sample_button.setToolTip("16 digits from the trained generator, for a new random seed")
        self.sample_button.clicked.connect(self.show_samples)
        self.interpolate_button = QPushButton("Interpolate")
        self.interpolate_button.setToolTip("Digits along the straight line between two noise vectors z₀ and z₁")
        self.interpolate_button.clicked.connect(self.show_interpolation)
        self.strip = ImageView("")
        self.strip.setFixedHeight(80)
        sampler = QHBoxLayout()
        sampler.addWidget(self.sample_button)
        sampler.addWidget(self.interpolate_button)
        sampler.addWidget(self.strip, 1)
        mnist = QVBoxLayout()
        mnist.setContentsMargins(0, 0, 0, 0)
        mnist.addWidget(self.grid, 1)
        mnist.addWidget(QLabel("Filmstrip: the same 16 z as training goes on"))
        mnist.addWidget(self.filmstrip)
        mnist.addLayout(sampler)
        mnist_page = QWidget()
        mnist_page.setLayout(mnist)
        self.plane = DecisionPlane(TOY_EXTENT)
        self.pages = QStackedWidget()
        self.pages.addWidget(mnist_page)
        self.pages.addWidget(self.plane)

        self.losses = CurvePlot("losses", "iteration (G steps)", "nats")
        self.losses.add_curve("D loss", REAL)
        self.losses.add_curve("G loss", FAKE)
        self.losses.addItem(pg.InfiniteLine(2 * math.log(2), angle=0, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine)))
        self.outputs = ProbabilityPlot("discriminator's outputs (batch means)", "iteration (G steps)", "probability of real")
        self.outputs.add_curve("D(x)", REAL)
        self.outputs.add_curve("D(G(z))", FAKE)
        self.outputs.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine)))
        self.histogram = HistogramPlot("D's outputs on the last D batch", "D(·)", HIST_BINS)
        self.histogram.add_histogram("D(x), real", REAL)
        self.histogram.add_histogram("D(G(z)), fake", FAKE)
        self.classes = ClassHistogram(f"digits G draws ({CLASS_SAMPLES} fixed z, by the classifier)")
        plots = QVBoxLayout()
        for plot in (self.losses, self.outputs, self.histogram, self.classes):
            plot.getAxis("left").enableAutoSIPrefix(False)  # probabilities, not "x0.001" thousandths
            plots.addWidget(plot, 1)

        layout = QHBoxLayout(self)
        layout.addWidget(self._build_controls())
        layout.addWidget(self.pages, 3)
        layout.addLayout(plots, 2)

    def _build_controls(self) -> QWidget:
        defaults = GANConfig()
        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.objective = QComboBox()
        for key, text in OBJECTIVES:
            self.objective.addItem(text, key)
        self.steps = self._spin(1, 1_000_000, 2000)
        self.lr_g = self._rate(defaults.lr_g)
        self.lr_d = self._rate(defaults.lr_d)
        self.batch_size = self._spin(2, 4096, defaults.batch_size)
        self.d_steps_per_g = self._spin(1, 20, defaults.d_steps_per_g)
        self.latent_dim = self._spin(1, 512, defaults.latent_dim)
        form = QFormLayout()
        form.addRow("game", self.mode)
        form.addRow("G's objective", self.objective)
        form.addRow("iterations", self.steps)
        form.addRow("learning rate of G", self.lr_g)
        form.addRow("learning rate of D", self.lr_d)
        form.addRow("batch size", self.batch_size)
        form.addRow("D steps per G step (k)", self.d_steps_per_g)
        form.addRow("latent size (z)", self.latent_dim)
        self.settings = QWidget()
        self.settings.setLayout(form)

        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self._on_start_clicked)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.runner.pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.runner.stop)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the untrained nets (same seed: same weights and fixed noise), paused")
        self.reset_button.clicked.connect(self.reset)
        self.step_buttons = {}
        for which, text, tip in (("d", "Step D", "one ascent step of D, G fixed"),
                                 ("g", "Step G", "one descent step of G, D fixed"),
                                 ("both", "Step both", "one iteration: k D steps, then one G step")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(partial(self.step, which))
            self.step_buttons[which] = button
        buttons = QGridLayout()
        for column, button in enumerate((self.start_button, self.pause_button, self.stop_button, self.reset_button)):
            buttons.addWidget(button, 0, column)
        for column, button in enumerate(self.step_buttons.values()):
            buttons.addWidget(button, 1, column + (column > 0), 1, 1 + (column == 0))

        self.delay = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.delay.setRange(0.0, 2.0)
        self.delay.setDecimals(2)
        self.delay.setSingleStep(0.05)
        self.delay.setValue(0.0)
        self.delay.valueChanged.connect(self._on_delay_changed)
        slow = QHBoxLayout()
        slow.addWidget(QLabel("slow motion (s per iteration)"))
        slow.addWidget(self.delay, 1)

        self.status = status_label(lines=4)
        self.model_info = status_label(lines=5)
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        explanation.setStyleSheet("color: #444")

        box = QGroupBox("The game of G and D")
        column = QVBoxLayout(box)
        column.addWidget(self.settings)
        column.addLayout(buttons)
        column.addLayout(slow)
        column.addWidget(self.status)
        column.addWidget(self.model_info)
        column.addWidget(explanation)
        column.addStretch()
        box.setFixedWidth(340)  # its text changes must not resize the views beside it
        for label in (self.status, self.model_info):  # the status changes with every snapshot
            pin_width(label, 340, box, column)
        return box

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    @staticmethod
    def _rate(value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(5)
        spin.setRange(1e-5, 1.0)
        spin.setSingleStep(1e-4)
        spin.setValue(value)
        return spin

    # ---- the shipped or trained generator -----------------------------------------------------
    def load_shipped(self) -> None:
        """Load checkpoints/gan.safetensors if it is there (a bad file raises CheckpointError)."""
        path = self.family.default_checkpoint
        if not path.exists():
            self.model_info.setText(f"No shipped generator yet ({path.name} is not in checkpoints/). "
                                    "Train one here, or load one with File ▸ Load checkpoint….")
            return
        self.load_checkpoint(path)

    def load_checkpoint(self, path: str | Path) -> None:
        generator, cfg, ckpt = self.family.load(path)
        self._install(generator, cfg, ckpt)
        self.model_info.setText(self._describe(ckpt))


    def _install(self, generator: torch.nn.Module, cfg: GANConfig, ckpt: Checkpoint) -> None:
        """Make ``generator`` the one to sample from; a toy one is shown on the plane."""
        self.checkpoint = ckpt
        self.mode.setCurrentIndex([key for key, _ in MODES].index(cfg.mode))
        if cfg.mode == "toy":
            self.generator = None
            z = torch.randn(TOY_POINTS, cfg.latent_dim, generator=torch.Generator().manual_seed(0))
            real = ring_of_gaussians(TOY_POINTS, torch.Generator().manual_seed(0)).numpy()
            self.plane.blank()
            self.plane.set_points(real, generate(generator, z).numpy())
        else:
            self.generator = generator
            self.show_samples()
            self.show_interpolation()
        self._update_buttons()

    @staticmethod
    def _describe(ckpt: Checkpoint) -> str:
        cfg, info = ckpt.config, ckpt.info
        m = info.get("metrics", {})
        text = (f"Generator: {cfg.get('mode', '?')} GAN, {info.get('steps', '?')} iterations, "
                f"{str(cfg.get('objective', '?')).replace('_', '-')} objective, latent size {cfg.get('latent_dim', '?')}")
        if "d_real" in m:
            text += f"\nAt the end D(x) {m['d_real']:.2f}, D(G(z)) {m['d_fake']:.2f}"
        training = info.get("training", {})
        if training.get("device"):
            text += f"\nTrained on {training['device']} in {training.get('seconds', 0) / 60:.1f} min"
        return text

    def show_samples(self) -> None:
        """16 digits from the generator for the next seed."""
        if self.generator is None:
            return
        self.sample_seed += 1
        self.grid.set_image(tile(sample_images(self.generator, 16, seed=self.sample_seed), 4))
        self.grid.label.setText(f"trained generator: 16 samples G(z), seed {self.sample_seed}")

    def show_interpolation(self) -> None:
        """Digits along the line from z₀ to z₁, two noise vectors of the current seed."""
        if self.generator is None:
            return
        noise = torch.Generator().manual_seed(self.sample_seed)
        z0, z1 = torch.randn(2, self.generator.latent_dim, generator=noise).numpy()
        self.strip.set_image(tile(interpolate(self.generator, z0, z1, INTERPOLATION_STEPS), INTERPOLATION_STEPS))

    # ---- the game -----------------------------------------------------------------------------
    def training_config(self) -> GANConfig:
        return GANConfig(mode=self.mode.currentData(), objective=self.objective.currentData(), steps=self.steps.value(),
                         lr_g=self.lr_g.value(), lr_d=self.lr_d.value(), batch_size=self.batch_size.value(),
                         d_steps_per_g=self.d_steps_per_g.value(), latent_dim=self.latent_dim.value())

    def _show_config(self, cfg: GANConfig) -> None:
        """Set the form to ``cfg`` (it stays disabled while that game is played)."""
        self.mode.setCurrentIndex([key for key, _ in MODES].index(cfg.mode))
        self.objective.setCurrentIndex([key for key, _ in OBJECTIVES].index(cfg.objective))
        for spin, value in ((self.steps, cfg.steps), (self.lr_g, cfg.lr_g), (self.lr_d, cfg.lr_d),
                            (self.batch_size, cfg.batch_size), (self.d_steps_per_g, cfg.d_steps_per_g),
                            (self.latent_dim, cfg.latent_dim)):
            spin.setValue(value)

    @property
    def playing(self) -> bool:
        """Whether the runner's job is this panel's game."""
        return self.session_cfg is not None

    def start_training(self, cfg: GANConfig | None = None, paused: bool = False, first: tuple | None = None) -> None:
        """Start a game from untrained nets; ``paused``: show them and wait (``first``: a command to run)."""
        cfg = cfg or self.training_config()
        self.session_cfg = cfg
        self._show_config(cfg)
        self.snapshot = None
        self._clear_views(cfg)
        self.runner.start(
            Job(gan_session, {"cfg": cfg, "device": self.device, "delay_s": self.delay.value()}),
            on_yield=self._on_snapshot,
            on_done=self._on_trained,
            on_end=self._on_session_end,
            in_process=self.train_in_process,
            label="Training GAN",
        )
        if paused:
            self.runner.pause()
            # A message to a job that has not yielded yet makes it yield first: the untrained nets
            # arrive, then the answer (a step's snapshot, or nothing for the current speed).
            self.runner.send(first or ("delay", self.delay.value()))
        self.status.setText("Starting: loading the data and building the nets…")
        self._update_buttons()

    def step(self, which: str) -> None:
        """One D step, one G step, or one iteration ('d', 'g', 'both'), from a paused or a new game."""
        if self.playing:
            self.runner.send(("step", which))
        elif not self.runner.busy:
            self.start_training(paused=True, first=("step", which))

    def reset(self) -> None:
        """Back to the untrained nets of the same seed (same weights, same fixed noise), paused."""
        if self.playing:
            self._reset_requested = True
            self.runner.stop()  # the new game starts when this one has ended
        elif not self.runner.busy:
            self.start_training(paused=True)

    def _on_start_clicked(self) -> None:
        if self.playing and self.runner.paused:
            self.runner.resume()
        elif not self.runner.busy:
            self.start_training()

    def _on_delay_changed(self, seconds: float) -> None:
        if self.playing:
            self.runner.send(("delay", seconds))

    def _on_snapshot(self, snap: GANSnapshot) -> None:
        """Record the snapshot now; draw it over the next turns of the event loop."""
        previous, self.snapshot = self.snapshot, snap
        points = []  # a net's values are new only when it has been stepped since the last snapshot
        if previous is None or snap.d_steps != previous.d_steps:
            points += [(self.losses, "D loss", snap.d_loss), (self.outputs, "D(x)", snap.d_real),
                       (self.outputs, "D(G(z))", snap.d_fake)]
        if previous is None or snap.step != previous.step:
            points.append((self.losses, "G loss", snap.g_loss))
        for plot, name, value in points:
            if math.isfinite(value):  # NaN: that net has not been stepped yet
                plot.add_point(name, snap.step, value)
        self.refresh.request("losses", self.losses.redraw)
        self.refresh.request("outputs", self.outputs.redraw)
        self.refresh.request("histogram", partial(self._draw_histogram, snap))
        self.refresh.request("status", partial(self.status.setText, self._status_text(snap)))
        if snap.samples is not None:
            grid = tile(snap.samples, 4)
            self.refresh.request("grid", partial(self._draw_grid, snap.step, grid))
            self.filmstrip.add_frame(snap.step, grid)  # kept now, so that no frame is lost to a newer request
            self.refresh.request("filmstrip", self.filmstrip.redraw)
        if snap.class_counts is not None:
            self.refresh.request("classes", partial(self.classes.set_counts, snap.class_counts))
        if snap.heatmap is not None:
            self.refresh.request("plane", partial(self._draw_plane, snap))

    def _draw_grid(self, step: int, grid: np.ndarray) -> None:
        self.grid.set_image(grid)
        self.grid.label.setText(f"G(z) for 16 fixed z, iteration {step}")

    def _draw_histogram(self, snap: GANSnapshot | None) -> None:
        empty = np.zeros(HIST_BINS)
        self.histogram.set_counts("D(x), real", empty if snap is None else snap.d_real_hist)
        self.histogram.set_counts("D(G(z)), fake", empty if snap is None else snap.d_fake_hist)

    def _draw_plane(self, snap: GANSnapshot) -> None:
        self.plane.set_heatmap(snap.heatmap)
        self.plane.set_points(snap.points_real, snap.points_fake)

    @staticmethod
    def _status_text(snap: GANSnapshot) -> str:
        def show(value: float) -> str:
            return "–" if math.isnan(value) else f"{value:.3f}"

        return (f"Iteration {snap.step} of {snap.total_steps} ({snap.d_steps} D steps)\n"
                f"D loss {show(snap.d_loss)}   G loss {show(snap.g_loss)}\n"
                f"D(x) {show(snap.d_real)}   D(G(z)) {show(snap.d_fake)}")

    def _on_trained(self, ckpt: Checkpoint) -> None:
        self.refresh.flush()
        generator, cfg = gan_from_checkpoint(ckpt)
        self.checkpoint = ckpt
        if cfg.mode == "mnist":
            self.generator = generator
        self.model_info.setText(self._describe(ckpt) + "\nNot saved yet: File ▸ Save checkpoint… keeps it.")

    def _on_session_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        cfg, self.session_cfg = self.session_cfg, None
        if self._reset_requested:
            self._reset_requested = False
            self.start_training(cfg, paused=True)
            return
        if not succeeded and self.snapshot is not None:
            self.status.setText(self.status.text() + "\nStopped: this game's nets are gone.")
        self._update_buttons()

    def _clear_views(self, cfg: GANConfig) -> None:
        """Forget the last game's data now; blank its views over the next turns of the event loop
        (queued before any snapshot's update, so they run first)."""
        for key, plot in (("losses", self.losses), ("outputs", self.outputs)):
            plot.clear_data()
            self.refresh.request(f"clear {key}", partial(self._reset_plot, plot, cfg.steps))
        self.refresh.request("clear histogram", partial(self._draw_histogram, None))
        self.refresh.request("clear classes", partial(self.classes.set_counts, np.zeros(10)))
        self.filmstrip.clear()
        self.refresh.request("clear filmstrip", self.filmstrip.redraw)
        self.refresh.request("clear plane", self.plane.blank)

    @staticmethod
    def _reset_plot(plot: CurvePlot, steps: int) -> None:
        plot.set_x_span(steps)
        plot.redraw()

    def _on_mode_changed(self) -> None:
        self.pages.setCurrentIndex(self.mode.currentIndex())
        self.classes.setVisible(self.mode.currentData() == "mnist")  # the toy game draws points, not digits

    def _on_runner_changed(self, _busy_or_paused: bool) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        mine, busy, paused = self.playing, self.runner.busy, self.runner.paused
        self.start_button.setEnabled((mine and paused) or not busy)
        self.start_button.setText("Resume" if mine and paused else "Start")
        self.pause_button.setEnabled(mine and not paused)
        self.stop_button.setEnabled(mine)
        self.reset_button.setEnabled(mine or not busy)
        for button in self.step_buttons.values():
            button.setEnabled((mine and paused) or not busy)
        self.settings.setEnabled(not mine)
        can_sample = self.generator is not None and not mine
        self.sample_button.setEnabled(can_sample)
        self.interpolate_button.setEnabled(can_sample)
