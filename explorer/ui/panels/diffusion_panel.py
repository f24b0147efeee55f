"""The Diffusion panel: noise a digit step by step, then watch a network take the noise away.

What it teaches: the forward process q(x_t | x_0) needs no model, it only mixes a digit with
Gaussian noise by the schedule's ᾱ_t; the reverse chain starts from pure noise x_T and at
every step predicts the noise ε̂ in x_t, hence a guess x̂_0 of the final digit, and moves a
little towards it. DDPM walks all T steps adding fresh noise; DDIM jumps over most of them.

Timesteps are shown in the paper's numbering t = 1..T (the core counts 0..T-1); the
forward view's t = 0 is the clean digit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.diffusion import (
    DDPM,
    SAMPLE_ETA,
    DDPMConfig,
    DDPMSnapshot,
    SamplerConfig,
    make_schedule,
    q_sample,
    train_ddpm,
    training_runs,
)
from explorer.core.diffusion.chain_export import save_gif, save_strip
from explorer.core.diffusion.chain_job import SamplerFrame, reverse_chains, weights_of
from explorer.core.diffusion.chain_record import ChainRecord
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.jobs import Job
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_grid import ImageGrid, tile
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.schedule_plot import SchedulePlot
from explorer.ui.widgets.status_label import status_label
from explorer.ui.widgets.timeline import Timeline
from explorer.ui.worker import Runner

SAMPLER_NAMES = {"ddpm": "DDPM (all T steps)", "ddim": "DDIM (K steps)"}
NO_MODEL = ("<b>No diffusion model yet</b> (checkpoints/ddpm.safetensors is not there). Train one below or load "
            "one with File ▸ Load checkpoint…; the schedule and the forward process need no model.")
CHAIN_HELP = ("Sampling runs the process backwards from pure noise x_T. At each step the network predicts the "
              "noise ε̂ hidden in x_t; taking it out gives the predicted x_0, its guess of the finished digit; the sampler then "
              "moves x_t a little towards that guess (DDPM also adds fresh noise). Grey levels: x_t and predicted x_0 "
              "from −1 (black) to +1 (white), ε̂ from −3 to +3. Click a digit in the grid to follow it.")
COMPARE_HELP = ("Both chains start from the same x_T (same seed). DDPM takes all T small random steps; DDIM "
                "takes K large steps over a subset of the timesteps, so it is T/K times faster. With η = 0 they are "
                "deterministic: a given x_T always gives the same digit; η = 1 adds as much fresh noise as DDPM. Each "
                "side shows its chain at the timeline's t (DDIM: its nearest step at or above t).")
FORWARD_NOISE_SEED = 0


def abar_text(abar: float) -> str:
    """ᾱ_t to read: four decimals, or three significant digits near the end of the chain where it is tiny."""
    return f"{abar:.4f}" if abar >= 1e-3 else f"{abar:.2e}"


def grey(stored: np.ndarray) -> np.ndarray:
    """Stored uint8 grey levels -> float32 in [0, 1], as the image views take them."""
    return stored.astype(np.float32) / np.float32(255.0)


class DiffusionPanel(ModelPanel):
    """Schedule, forward process, a scrubbable reverse chain, DDPM vs DDIM, and training."""

    title = "Diffusion"
    checkpoint_kind = "ddpm"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.chain_in_process = True
        self.test = load_mnist("test")
        self.model: DDPM | None = None
        self.model_cfg: DDPMConfig | None = None
        self.chains: dict[str, ChainRecord] = {}  # the latest chain of each sampler
        self.active: str | None = None  # the sampler whose chain the timeline shows
        self.selected = 0
        self._job: str | None = None  # "chain" or "training" while one of ours runs
        self.refresh = StaggeredRefresh(parent=self)
        g = torch.Generator().manual_seed(FORWARD_NOISE_SEED)
        self.forward_noise = torch.randn(1, 1, 28, 28, generator=g)  # the ε of the forward view, fixed
        self.view_schedule = make_schedule("linear", DDPMConfig().timesteps)
        self._build()
        runner.busy_changed.connect(self._on_busy_changed)
        self._set_view_schedule()
        self._update_buttons()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self._build_schedule(), 5)
        left.addWidget(self._build_forward(), 4)
        top = QHBoxLayout()
        top.addLayout(left, 3)
        top.addWidget(self._build_chain(), 6)
        top.addWidget(self._build_compare(), 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        training = self._build_training()
        training.setMaximumHeight(250)
        layout.addWidget(training)

    def _build_schedule(self) -> QWidget:
        box = QGroupBox("Noise schedule")
        self.schedule_kind = QComboBox()
        self.schedule_kind.addItems(["linear", "cosine"])
        self.schedule_kind.setToolTip("linear: Ho et al. 2020; cosine: Nichol & Dhariwal 2021 (destroys the digit more slowly)")
        self.schedule_kind.currentTextChanged.connect(self._set_view_schedule)
        row = QHBoxLayout()
        row.addWidget(QLabel("schedule"))
        row.addWidget(self.schedule_kind)
        row.addStretch()
        self.schedule_plot = SchedulePlot()
        note = QLabel("SNR = ᾱ_t / (1 − ᾱ_t). Dashed line: the forward process's t; orange: the chain's t.")
        note.setWordWrap(True)
        note.setStyleSheet("color:#555;")
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.schedule_plot, 1)
        layout.addWidget(note)
        return box

    def _build_forward(self) -> QWidget:
        box = QGroupBox("Forward process q(x_t | x_0): no model needed")
        self.digit = QSpinBox()
        self.digit.setRange(0, len(self.test.images) - 1)
        self.digit.setPrefix("test digit #")
        self.digit.valueChanged.connect(self.update_forward)
        self.forward_t = QSlider(Qt.Orientation.Horizontal)
        self.forward_t.valueChanged.connect(self.update_forward)
        self.forward_views = [ImageView(name) for name in ("x_0", "ε (fixed)", "x_t")]
        images = QHBoxLayout()
        for view in self.forward_views:
            view.setMinimumSize(90, 100)
            images.addWidget(view)
        self.forward_numbers = QLabel()
        # A fixed size: Qt then skips the relayout (and whole-window repaint) a new text asks for.
        widest = self.forward_numbers.fontMetrics().horizontalAdvance("ᾱ_t = 0.00e-00:  x_t = 0.000·x_0 + 0.000·ε")
        self.forward_numbers.setFixedSize(widest + 12, self.forward_numbers.fontMetrics().lineSpacing() + 4)
        self.forward_info = QLabel("x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε: the digit fades as the noise grows. By t = T "
                                   "the digit is gone and x_T ≈ N(0, I).")
        self.forward_info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.digit)
        row.addWidget(QLabel("t"))
        row.addWidget(self.forward_t, 1)
        self.forward_t_value = QLabel()
        metrics = self.forward_t_value.fontMetrics()
        self.forward_t_value.setFixedSize(metrics.horizontalAdvance("= 10000"), metrics.lineSpacing() + 4)  # no relayout
        row.addWidget(self.forward_t_value)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addLayout(images, 1)
        layout.addWidget(self.forward_numbers)
        layout.addWidget(self.forward_info)
        return box

    def _build_chain(self) -> QWidget:
        box = QGroupBox("Reverse chain: from noise x_T to a digit")
        self.n_samples = QSpinBox()
        self.n_samples.setRange(1, 64)
        self.n_samples.setValue(16)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.sampler = QComboBox()
        for key, name in SAMPLER_NAMES.items():
            self.sampler.addItem(name, key)
        self.sampler.setCurrentIndex(1)
        self.sampler.currentIndexChanged.connect(self._on_sampler_changed)
        self.ddim_steps = QSpinBox()
        self.ddim_steps.setRange(1, DDPMConfig().timesteps)
        self.ddim_steps.setValue(50)
        self.ddim_steps.setPrefix("K = ")
        self.eta = QDoubleSpinBox()  # DDIM's noise: 0 deterministic, 1 as much as DDPM (Song et al., eq. 16)
        self.eta.setRange(0.0, 1.0)
        self.eta.setSingleStep(0.1)
        self.eta.setDecimals(2)
        self.eta.setPrefix("η = ")
        self.eta.setValue(SAMPLE_ETA)
        self.eta.setToolTip("DDIM's fresh noise per step: 0 is deterministic, 1 is as much as DDPM")
        controls = QHBoxLayout()
        for label, widget in (("samples", self.n_samples), ("seed", self.seed), ("sampler", self.sampler),
                              (None, self.ddim_steps), (None, self.eta)):
            if label:
                controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addStretch()
        self.run_button = QPushButton("Run chain")
        self.run_button.setProperty("help", "Run the chosen sampler from the seed's x_T")
        self.run_button.clicked.connect(lambda: self.start_chain())
        self.compare_button = QPushButton("Compare DDPM vs DDIM")
        self.compare_button.setProperty("help", "Run both samplers from the same x_T, one after the other")
        self.compare_button.clicked.connect(lambda: self.start_chain(("ddpm", "ddim")))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.runner.stop)
        self.gif_button = QPushButton("Export GIF…")
        self.gif_button.clicked.connect(self._on_export_gif)
        self.strip_button = QPushButton("Export PNG strip…")
        self.strip_button.clicked.connect(self._on_export_strip)
        actions = QHBoxLayout()
        for button in (self.run_button, self.compare_button, self.cancel_button):
            actions.addWidget(button)
        actions.addStretch()
        actions.addWidget(self.gif_button)
        actions.addWidget(self.strip_button)
        self._enable_export(False)

        self.grid = ImageGrid("all samples (click one)")
        self.grid.clicked.connect(self.select_sample)
        self.grid.setMinimumWidth(160)
        self.big = {kind: ImageView(name) for kind, name in (
            ("x_t", "x_t (noisy image)"),
            ("eps", "ε̂ (predicted noise)"),
            ("x0_pred", "predicted x_0 (digit)"),
        )}
        views = QHBoxLayout()
        views.addWidget(self.grid, 4)
        for view in self.big.values():
            view.setMinimumSize(150, 170)
            views.addWidget(view, 5)
        self.timeline = Timeline()
        self.timeline.frame_changed.connect(self.show_frame)
        self.chain_info = QLabel(NO_MODEL)
        self.chain_info.setWordWrap(True)
        self.chain_info.setStyleSheet("color:#333; background:#eef3fb; padding:4px; border-radius:4px;")
        help_text = QLabel(CHAIN_HELP)
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color:#555;")
        layout = QVBoxLayout(box)
        layout.addLayout(controls)
        layout.addLayout(actions)
        layout.addWidget(self.chain_info)
        layout.addLayout(views, 1)
        layout.addWidget(self.timeline)
        layout.addWidget(help_text)
        return box

    def _build_compare(self) -> QWidget:
        box = QGroupBox("DDPM vs DDIM from the same x_T")
        self.compare_views = {s: ImageView(f"{s.upper()}<br>x_t | predicted x_0") for s in SAMPLER_NAMES}
        self.compare_info = status_label("Press “Compare DDPM vs DDIM” to run both samplers from the same noise.", 3)
        help_text = QLabel(COMPARE_HELP)
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color:#555;")
        layout = QVBoxLayout(box)
        for view in self.compare_views.values():
            view.setMinimumHeight(120)
            layout.addWidget(view, 1)
        layout.addWidget(self.compare_info)
        layout.addWidget(help_text)
        return box

    def _build_training(self) -> QWidget:
        box = QGroupBox("Train from scratch on MNIST (Algorithm 1: predict the noise, loss ‖ε − ε_θ(x_t, t)‖²)")
        defaults = DDPMConfig()
        self.train_steps = QSpinBox()
        self.train_steps.setRange(1, 200_000)
        self.train_steps.setValue(2000)
        self.train_steps.setSingleStep(500)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(8, 1024)
        self.batch_size.setValue(defaults.batch_size)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-1)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(defaults.lr)
        self.train_schedule = QComboBox()
        self.train_schedule.addItems(["linear", "cosine"])
        form = QFormLayout()
        form.addRow("steps", self.train_steps)
        form.addRow("batch size", self.batch_size)
        form.addRow("learning rate", self.lr)
        form.addRow("schedule", self.train_schedule)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(lambda: self.start_training())
        form.addRow(self.train_button)
        self.model_info = status_label("No model loaded.")
        form.addRow(self.model_info)
        controls = QWidget()
        controls.setLayout(form)
        controls.setFixedWidth(330)
        self.loss_plot = CurvePlot("training loss ‖ε − ε̂‖²", "step", "MSE")
        self.loss_plot.add_curve("train", "#1f77b4")
        self.train_samples = ImageView("samples while training<br>(DDIM-25, fixed noise)")
        self.train_samples.setMinimumWidth(200)
        row = QHBoxLayout(box)
        row.addWidget(controls)
        row.addWidget(self.loss_plot, 3)
        row.addWidget(self.train_samples, 1)
        return box

    # ---- model --------------------------------------------------------------------------------
    def load_shipped(self) -> None:
        """Load checkpoints/ddpm.safetensors; if there is none yet, say so (a bad file raises CheckpointError)."""
        path = self.family.default_checkpoint
        if not path.is_file():
            self.chain_info.setText(NO_MODEL)
            self.model_info.setText("No shipped model yet: press Train, or File ▸ Load checkpoint….")
            return
        self.load_checkpoint(path)

    def load_checkpoint(self, path: str | Path) -> None:
        model, cfg, ckpt = self.family.load(path)
        self._install(model, cfg, ckpt)
        self.model_info.setText(self._describe(ckpt))
        earlier_steps = sum(r["steps"] for r in training_runs(ckpt.info)[:-1])  # the history is of the last run
        self.show_history(ckpt.info.get("history", []), earlier_steps)


    def _install(self, model: DDPM, cfg: DDPMConfig, ckpt: Checkpoint) -> None:
        """Make ``model`` the one the chains use; chains of the previous model are dropped."""
        self.model, self.model_cfg, self.checkpoint = model, cfg, ckpt
        self.chains.clear()
        self.active = None
        self.timeline.set_count(0)
        self.ddim_steps.setMaximum(cfg.timesteps)
        self.schedule_kind.setCurrentText(cfg.schedule)
        self._set_view_schedule()
        self._clear_chain_views()
        self.chain_info.setText(f"Model ready ({cfg.schedule} schedule, T = {cfg.timesteps}). "
                                "Choose the samples, a seed and a sampler, then Run chain.")
        self._update_buttons()

    @staticmethod
    def _describe(ckpt: Checkpoint) -> str:
        c, info = ckpt.config, ckpt.info
        runs = training_runs(info)
        steps = sum(r["steps"] for r in runs)
        text = (f"Model: {steps:,} steps{f' in {len(runs)} runs' if len(runs) > 1 else ''}, "
                f"{c.get('schedule', '?')} schedule, T = {c.get('timesteps', '?')}, {c.get('base_channels', '?')} channels")
        if "final_loss" in info.get("metrics", {}):
            text += f"\nFinal loss {info['metrics']['final_loss']:.4f}"
        devices = sorted({r["training"]["device"] for r in runs if r["training"].get("device")})
        if devices:
            minutes = sum(r["training"].get("seconds", 0) for r in runs) / 60
            text += f"\nTrained on {' and '.join(devices)} in {minutes:.1f} min"
        return text

    def show_history(self, history: list[dict], first_step: int = 0) -> None:
        """Plot a checkpoint's recorded loss history, its steps counted from ``first_step``."""
        self.loss_plot.clear_data()
        steps = [first_step + h["step"] for h in history]
        self.loss_plot.set_curve("train", steps, [h["loss"] for h in history])
        self.loss_plot.set_x_span(max(steps, default=1))
        self.loss_plot.redraw()

    # ---- schedule and forward process ---------------------------------------------------------
    def _set_view_schedule(self) -> None:
        T = self.model_cfg.timesteps if self.model_cfg else DDPMConfig().timesteps
        self.view_schedule = make_schedule(self.schedule_kind.currentText(), T)
        self.schedule_plot.set_schedule(self.view_schedule)
        self.forward_t.setRange(0, T)
        self.update_forward()

    def forward_image(self, index: int, t: int) -> np.ndarray:
        """x_t of test digit ``index`` at the paper's t (0: the digit itself), in [-1, 1], (28, 28)."""
        x0 = torch.from_numpy(self.test.images[index].astype(np.float32) / 127.5 - 1.0)[None, None]
        if t == 0:
            return x0[0, 0].numpy()
        return q_sample(self.view_schedule, x0, torch.tensor([t - 1]), self.forward_noise)[0, 0].numpy()

    def update_forward(self) -> None:
        index, t = self.digit.value(), self.forward_t.value()
        x_t = self.forward_image(index, t)
        self.forward_views[0].set_image(self.test.images[index].astype(np.float32) / 255.0)
        self.forward_views[1].set_image(np.clip((self.forward_noise[0, 0].numpy() / 3 + 1) / 2, 0, 1))
        self.forward_views[2].set_image(np.clip((x_t + 1) / 2, 0, 1))
        abar = 1.0 if t == 0 else float(self.view_schedule.alphas_cumprod[t - 1])
        self.forward_t_value.setText(f"= {t}")
        self.schedule_plot.show_forward_t(t)
        self.forward_numbers.setText(f"ᾱ_t = {abar_text(abar)}:  x_t = {np.sqrt(abar):.3f}·x_0 + {np.sqrt(1 - abar):.3f}·ε")

    # ---- reverse chain ------------------------------------------------------------------------
    def chosen_sampler(self) -> str:
        return self.sampler.currentData()

    def sampler_config(self, sampler: str) -> SamplerConfig:
        """``sampler`` with the panel's K and η (the spin boxes' ranges lie within SamplerConfig's limits)."""
        return SamplerConfig(sampler, self.ddim_steps.value(), self.eta.value())

    def start_chain(self, samplers: tuple[str, ...] | None = None) -> None:
        """Run the chosen sampler (or ``samplers`` in turn) from the seed's x_T in the background."""
        if self.model is None or self.model_cfg is None or self.checkpoint is None:
            self.chain_info.setText(NO_MODEL)
            return
        if self.runner.busy:
            self.chain_info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        configs = tuple(self.sampler_config(s) for s in samplers or (self.chosen_sampler(),))
        n, seed, T = self.n_samples.value(), self.seed.value(), self.model_cfg.timesteps
        self.timeline.pause()
        for config in configs:
            self.chains[config.sampler] = ChainRecord(config, seed, n, T)
        self.selected = min(self.selected, n - 1)
        self._show_sampler(configs[0].sampler)
        self._job = "chain"
        self.runner.start(
            Job(reverse_chains, {"cfg": self.model_cfg, "weights": weights_of(self.checkpoint), "n": n,
                                 "samplers": configs, "seed": seed, "device": self.device}),
            on_yield=self._on_chain_frame,
            on_end=self._on_chain_end,
            in_process=self.chain_in_process,
            label="Sampling " + " then ".join(c.sampler.upper() for c in configs),
        )
        self.chain_info.setText("Sampling… frames appear as they are made; scrub back at any time.")

    def _on_chain_frame(self, item: SamplerFrame) -> None:
        """Keep the frame now; move the views on over the next turns of the event loop."""
        record = self.chains[item.sampler]
        if record.append(item.frame) == 0 and item.sampler != self.active:
            self._show_sampler(item.sampler)  # the second chain of a comparison has begun
        if item.sampler == self.active:
            self.refresh.request("timeline", self._sync_timeline)
        else:
            self.refresh.request("compare", self.update_compare)

    def _sync_timeline(self) -> None:
        """Let the timeline reach every stored frame; follow the newest one if it was showing the last."""
        record = self.active_chain()
        if record is None:
            return
        before = self.timeline.frame()
        following = before >= self.timeline.count - 1
        self.timeline.set_count(record.count)
        if following and record.count:
            self.timeline.set_frame(record.count - 1)
        if self.timeline.frame() == before:  # no frame_changed signal drew it
            self.show_frame(before)

    def _on_chain_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        self._job = None
        self._sync_timeline()
        record = self.active_chain()
        if succeeded:
            self.chain_info.setText("Done. Scrub the timeline, step, or play the chain; click a digit to follow it.")
        elif record is not None:
            self.chain_info.setText(f"Stopped after {record.count} of {record.total_steps} steps: the frames made "
                                    "so far are kept. Run chain starts again.")
        self.update_compare()

    def active_chain(self) -> ChainRecord | None:
        return self.chains.get(self.active) if self.active else None

    def _show_sampler(self, sampler: str) -> None:
        """Point the timeline at ``sampler``'s chain."""
        self.active = sampler
        self.sampler.blockSignals(True)
        self.sampler.setCurrentIndex(self.sampler.findData(sampler))
        self.sampler.blockSignals(False)
        record = self.chains[sampler]
        self.timeline.set_count(record.count)
        self.timeline.set_frame(0)
        if record.count:
            self.show_frame(0)
        else:
            self._clear_chain_views()

    def show_chain(self, record: ChainRecord) -> None:
        """Keep ``record`` as its sampler's chain and show it on the timeline."""
        self.chains[record.sampler] = record
        self._show_sampler(record.sampler)

    def _on_sampler_changed(self) -> None:
        if self.chosen_sampler() in self.chains:
            self.timeline.pause()
            self._show_sampler(self.chosen_sampler())

    def show_frame(self, k: int) -> None:
        """Show stored frame ``k`` of the active chain: the grid, the selected sample large, t and ᾱ_t."""
        record = self.active_chain()
        if record is None or not 0 <= k < record.count:
            return
        self.grid.set_images(grey(record.images[k, 0]))
        self.grid.select(self.selected)
        for kind, view in self.big.items():
            view.set_image(grey(record.image(k, kind, self.selected)))
        t = int(record.t[k]) + 1
        self._enable_export(True)
        name = record.sampler.upper() + (f" (η = {record.eta:g})" if record.sampler == "ddim" else "")
        self.timeline.info.setText(f"<b>{name}</b> step {k + 1} / {record.total_steps} &nbsp; "
                                   f"<b>t = {t}</b> &nbsp; <b>ᾱ_t = {abar_text(record.alpha_bar[k])}</b> &nbsp; "
                                   f"sample #{self.selected}")
        self.schedule_plot.show_chain_t(t)
        self.update_compare()

    def _clear_chain_views(self) -> None:
        blank = np.zeros((28, 28), dtype=np.float32)
        for view in (*self.big.values(), *self.compare_views.values()):
            view.set_image(blank)
        self.grid.set_images(blank[None])
        self.grid.select(None)
        self._enable_export(False)
        self.timeline.info.setText("")
        self.schedule_plot.show_chain_t(None)

    def select_sample(self, index: int) -> None:
        """Follow sample ``index`` in the large views and the comparison."""
        record = self.active_chain()
        if record is None or not 0 <= index < record.n:
            return
        self.selected = index
        self.show_frame(self.timeline.frame())

    def update_compare(self) -> None:
        """Both samplers' x_t | x̂_0 of the selected sample at the timeline's t, if they share x_T."""
        ddpm, ddim, shown = self.chains.get("ddpm"), self.chains.get("ddim"), self.active_chain()
        if ddpm is None or ddim is None or shown is None or not shown.count:
            return
        if (ddpm.seed, ddpm.n) != (ddim.seed, ddim.n):
            self._set_compare_info("The DDPM and DDIM chains stored now start from different noise (seed or "
                                      "number of samples differ): press “Compare DDPM vs DDIM”.")
            return
        t = int(shown.t[self.timeline.frame()])
        for sampler, record in (("ddpm", ddpm), ("ddim", ddim)):
            k = record.frame_at(t)
            view = self.compare_views[sampler]
            if k is None:
                view.set_image(np.zeros((28, 58), dtype=np.float32))
                view.label.setText(f"{sampler.upper()}: not at t = {t + 1} yet")
                continue
            pair = [grey(record.image(k, kind, self.selected)) for kind in ("x_t", "x0_pred")]
            view.set_image(np.concatenate([pair[0], np.full((28, 2), 0.35, np.float32), pair[1]], axis=1))
            view.label.setText(f"{sampler.upper()} at t = {int(record.t[k]) + 1}, step {k + 1} / {record.total_steps}"
                               "<br>x_t | predicted x_0")
        self._set_compare_info(f"Seed {ddpm.seed}, sample #{self.selected}: DDPM in {ddpm.total_steps} steps, "
                               f"DDIM in {ddim.total_steps} (η = {ddim.eta:g}).")

    def _set_compare_info(self, text: str) -> None:
        """Change the line only when it says something new: a label's new text relayouts the window."""
        if text != self.compare_info.text():
            self.compare_info.setText(text)

    # ---- export -------------------------------------------------------------------------------
    def export_gif(self, path: str | Path) -> Path:
        return save_gif(path, self._chain_to_export(), self.selected, fps=self.timeline.fps.value())

    def export_strip(self, path: str | Path) -> Path:
        return save_strip(path, self._chain_to_export(), self.selected)

    def _chain_to_export(self) -> ChainRecord:
        record = self.active_chain()
        if record is None or not record.count:
            raise ValueError("There is no chain to export yet: run one first.")
        return record

    def _enable_export(self, enabled: bool) -> None:
        for button in (self.gif_button, self.strip_button):
            button.setEnabled(enabled)

    def _on_export_gif(self) -> None:
        self._export("GIF", "gif", self.export_gif)

    def _on_export_strip(self) -> None:
        self._export("PNG strip", "png", self.export_strip)

    def _export(self, what: str, suffix: str, write) -> None:
        default = Path.home() / f"{self.active or 'ddpm'}-chain-sample{self.selected}.{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the chain as a {what}", str(default), f"*.{suffix}")
        if not path:
            return
        try:
            written = write(path if path.endswith(f".{suffix}") else f"{path}.{suffix}")
        except (ValueError, OSError) as exc:
            self.chain_info.setText(f"Could not export: {exc}")
            return
        self.chain_info.setText(f"Wrote {written}.")

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> DDPMConfig:
        return DDPMConfig(steps=self.train_steps.value(), batch_size=self.batch_size.value(), lr=self.lr.value(),
                          schedule=self.train_schedule.currentText())

    def start_training(self, cfg: DDPMConfig | None = None) -> None:
        cfg = cfg or self.training_config()
        if self.runner.busy:
            self.model_info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        self.loss_plot.clear_data()
        self.loss_plot.set_x_span(cfg.steps)
        self.loss_plot.redraw()
        self._job = "training"
        self.runner.start(
            Job(train_ddpm, {"cfg": cfg, "device": self.device}),
            on_yield=self._on_snapshot,
            on_done=self._on_trained,
            on_end=self._on_training_end,
            in_process=self.train_in_process,
            label="Training DDPM",
        )
        self.model_info.setText("Training… the loss falls as the network learns to predict the noise; "
                                "samples refresh every 10 s.")

    def _on_snapshot(self, snap: DDPMSnapshot) -> None:
        self.loss_plot.add_point("train", snap.step, snap.loss)
        self.refresh.request("loss", self.loss_plot.redraw)
        if snap.samples is not None:
            grid = tile(snap.samples, 4)
            self.refresh.request("samples", lambda: self.train_samples.set_image(grid))

    def _on_trained(self, ckpt: Checkpoint) -> None:
        self.refresh.flush()
        model, cfg = self.family.from_checkpoint(ckpt)
        self._install(model, cfg, ckpt)
        self.model_info.setText(self._describe(ckpt) + "\nNot saved yet: File ▸ Save checkpoint… keeps it.")

    def _on_training_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        self._job = None
        if not succeeded:
            self.model_info.setText("Training did not finish: the previous model (if any) is unchanged.")
        self._update_buttons()

    # ---- state --------------------------------------------------------------------------------
    def _on_busy_changed(self, busy: bool) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.runner.busy
        ready = self.model is not None and not busy
        for button in (self.run_button, self.compare_button):
            button.setEnabled(ready)
            button.setToolTip(button.property("help") if ready else
                              ("A job is running." if busy else "Train or load a model first."))
        self.cancel_button.setEnabled(busy and self._job == "chain")
        self.train_button.setEnabled(not busy)
