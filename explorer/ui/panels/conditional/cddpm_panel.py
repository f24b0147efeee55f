"""The Classifier-free guidance tab: a class-conditional DDPM asked for a digit, with a guidance weight w.

What it teaches: one network trained with its label sometimes dropped predicts the noise both told
the digit and not told; extrapolating from the second towards the first by w makes the asked digit
ever clearer and ever less varied, a trade-off the sweep measures with the classifier.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from explorer.core.conditional import SWEEP, CDDPMConfig, CDDPMSnapshot, ConditionalDDPM, GuidedFrame
from explorer.core.conditional.jobs import guided_chain_job, sweep_job
from explorer.core.diffusion.chain_record import GuidedChainRecord
from explorer.core.runtime.checkpoints import Checkpoint, weights_of
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.jobs import Job
from explorer.ui.panels.conditional.cddpm_training import CDDPMTrainingSection, describe_checkpoint
from explorer.ui.panels.conditional.chain_section import NO_MODEL, ChainSection
from explorer.ui.panels.conditional.sweep_section import SweepSection
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.splitters import columns_over_training
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.focus import set_enabled
from explorer.ui.worker import Runner

SETTLE_MS = 250  # a change of w or digit is drawn once the controls have been still this long


class CDDPMPanel(ModelPanel):
    """The guided chain and the sweep above training; any change of what to draw draws it again, the
    latest request winning over a chain still running."""

    title = "Conditional"  # the main window's tab, which its jobs belong to
    name = "Classifier-free guidance (cDDPM)"
    checkpoint_kind = "cddpm"
    preview_every_s = 10.0  # guided samples while training (the CLI's interval is longer)

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self._job: str | None = None  # "chain", "sweep" or "training" while one of ours runs
        self._pending = False  # a draw asked for while a job ran: it starts when the runner is free
        self.refresh = StaggeredRefresh(parent=self)
        self.chain = ChainSection()
        self.controls = self.chain.controls
        self.timeline = self.chain.player.timeline
        self.sweep = SweepSection()
        self.training = CDDPMTrainingSection()
        self.model_info = self.training.model_info
        self._lay_out()
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.request_samples)
        self.controls.changed.connect(self._settle.start)
        self.chain.sample_button.clicked.connect(self.request_samples)
        self.sweep.measure_button.clicked.connect(lambda: self.start_sweep())
        self.training.train_button.clicked.connect(self._on_train_clicked)
        runner.busy_changed.connect(self._on_busy_changed)
        self.timeline.add_shortcuts(self)
        self._update_buttons()

    def _lay_out(self) -> None:
        """Chain | sweep above training, split so the user can trade room between them."""
        self.columns, self.rows = columns_over_training(
            self, [(self.chain, 2, 860), (self.sweep, 1, 400)], self.training, margins=False
        )

    # ---- model --------------------------------------------------------------------------------
    def describe(self, ckpt: Checkpoint) -> str:
        return describe_checkpoint(ckpt)

    def show_no_model(self) -> None:
        super().show_no_model()
        self.chain.drop(NO_MODEL)
        self.sweep.clear()

    def install(self, model: ConditionalDDPM, cfg: CDDPMConfig, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one drawn: the previous one's chain and sweep are dropped, and it draws at once."""
        self.controls.sampler.ddim_steps.setMaximum(cfg.timesteps)
        self.chain.drop(f"Model ready (T = {cfg.timesteps}). Pick a digit and move w: each change draws again.")
        self.sweep.clear()
        self._update_buttons()
        self.request_samples()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        self.training.show_record(ckpt)
        if self.model is None:
            self.chain.drop(NO_MODEL)
            self.sweep.clear()

    # ---- the guided chain ---------------------------------------------------------------------
    def request_samples(self) -> None:
        """Draw the controls' digit with their w: now if the runner is free; else the latest request waits,
        and a chain of ours still running gives way to it."""
        self._settle.stop()
        if self.model is None or self.checkpoint is None:
            self.chain.info.setText(NO_MODEL)
            return
        if not self.runner.busy:
            self.start_chain()
            return
        self._pending = True
        if self._job == "chain":
            self.runner.stop()  # the latest request wins: it starts when this chain has stopped
        else:
            self.chain.info.setText(
                f"{self._request_text()} will be drawn when the running job ({self.runner.label}) ends."
            )

    def _request_text(self) -> str:
        return f"{self.controls.sampler.n_samples.value()} × {self.controls.digit()} with w = {self.controls.w():g}"

    def start_chain(self) -> None:
        """Run the guided chain the controls describe in the background, its frames kept as they come."""
        controls = self.controls
        sampler = controls.sampler.sampler_config(controls.sampler.chosen_sampler())
        record = GuidedChainRecord(
            sampler,
            controls.sampler.seed.value(),
            controls.sampler.n_samples.value(),
            self.model_cfg.timesteps,
            controls.digit(),
            controls.w(),
        )
        self._pending = False
        self._job = "chain"
        self.chain.start(record)
        assert self.checkpoint is not None, "a chain starts with a model loaded"
        self.runner.start(
            Job(
                guided_chain_job,
                {
                    "cfg": self.model_cfg,
                    "weights": weights_of(self.checkpoint),
                    "n": record.n,
                    "digit": record.digit,
                    "guidance": record.guidance,
                    "sampler": sampler,
                    "seed": record.seed,
                    "device": self.device,
                },
            ),
            on_yield=self._on_frame,
            on_end=self._on_chain_end,
            label=f"Sampling {record.digit}s with w = {record.guidance:g}",
            owner=self.title,
        )
        self.chain.info.setText(f"Drawing {self._request_text()} ({sampler.describe()})…")
        self._update_buttons()

    def _on_frame(self, frame: GuidedFrame) -> None:
        """Keep the frame now; move the views on over the next turns of the event loop."""
        self.chain.add_frame(frame)
        self.refresh.request("timeline", self.chain.sync_timeline)

    def _on_chain_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        self._job = None
        self.chain.sync_timeline()
        record = self.chain.record
        if succeeded and record is not None:
            self.chain.info.setText(
                f"{record.n} × {record.digit} with w = {record.guidance:g}. Scrub the timeline: "
                "both noise predictions and the guided one at every step; click a digit to follow."
            )
        elif record is not None and not self._pending:
            self.chain.info.setText(
                f"Stopped after {record.count} of {record.total_steps} steps: the frames made "
                "so far are kept. Sample starts again."
            )
        self._update_buttons()

    def _on_busy_changed(self, busy: bool) -> None:
        self._update_buttons()
        if not busy and self._pending:
            QTimer.singleShot(0, self, self._start_pending)  # once the ended job's own hooks have run

    def _start_pending(self) -> None:
        if self._pending and not self.runner.busy and self.model is not None:
            self.start_chain()

    # ---- the sweep ----------------------------------------------------------------------------
    def start_sweep(self) -> None:
        """Measure accuracy and diversity at each w of the sweep for the chosen digit, in the background."""
        if self.model is None or self.checkpoint is None:
            self.sweep.info.setText(NO_MODEL)
            return
        if self.runner.busy:
            self.sweep.info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        digit, n = self.controls.digit(), self.sweep.n.value()
        sampler = self.controls.sampler.sampler_config("ddim")
        self.sweep.clear()
        self._job = "sweep"
        self.runner.start(
            Job(
                sweep_job,
                {
                    "cfg": self.model_cfg,
                    "weights": weights_of(self.checkpoint),
                    "digit": digit,
                    "guidances": SWEEP,
                    "n": n,
                    "seed": self.controls.sampler.seed.value(),
                    "sampler": sampler,
                    "device": self.device,
                },
            ),
            on_yield=self.sweep.follow,
            on_done=self.sweep.finish,
            on_end=self._on_sweep_end,
            label=f"Sweeping w for {digit}s",
            owner=self.title,
        )
        self.sweep.info.setText(
            f"Drawing {n} × {digit} at each w ({sampler.describe()}); each point appears as soon as its w is judged."
        )
        self._update_buttons()

    def _on_sweep_end(self, succeeded: bool) -> None:
        self._job = None
        self.sweep.end(succeeded)
        self._update_buttons()

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> CDDPMConfig:
        return self.training.training_config()

    def _on_train_clicked(self) -> None:
        try:
            self.start_training()
        except ExplorerError as exc:  # e.g. no shipped DDPM to start from
            self.model_info.setText(str(exc))

    def on_training_started(self, cfg: CDDPMConfig) -> None:
        self.training.start_curves(cfg.steps)
        self._job = "training"
        self.model_info.setText(
            "Training… the loss falls as the network learns the noise, told the digit or ∅; "
            f"guided samples of every digit refresh every {self.preview_every_s:.0f} s."
        )
        self._update_buttons()

    def on_snapshot(self, snap: CDDPMSnapshot) -> None:
        self.training.follow(snap, self.refresh)

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self._job = None
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy, ready = self.runner.busy, self.model is not None
        set_enabled(self.chain.sample_button, ready)
        set_enabled(self.sweep.measure_button, ready and not busy)
        set_enabled(self.training.train_button, not busy)
