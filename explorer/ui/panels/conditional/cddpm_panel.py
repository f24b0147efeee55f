"""The Classifier-free guidance tab: a class-conditional DDPM asked for a digit, with a guidance weight w.

What it teaches: one network trained with its label sometimes dropped predicts the noise both told
the digit and not told; extrapolating from the second towards the first by w makes the asked digit
ever clearer and ever less varied, a trade-off the sweep measures with the classifier.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from explorer.core.conditional import CDDPMConfig, CDDPMSnapshot, ConditionalDDPM, GuidedFrame
from explorer.core.conditional.cddpm_state import CDDPMJob, CDDPMState, guidance_sweep_job, guided_job
from explorer.core.runtime.checkpoints import Checkpoint, weights_of
from explorer.core.runtime.errors import ExplorerError
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
    latest request winning over a chain still running. ``state`` holds what is asked for and the job running;
    the panel builds its jobs from it."""

    title = "Conditional"  # the main window's tab, which its jobs belong to
    name = "Classifier-free guidance (cDDPM)"
    checkpoint_kind = "cddpm"
    preview_every_s = 10.0  # guided samples while training (the CLI's interval is longer)

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.state = CDDPMState(busy=runner.busy)
        self._pending = False  # a draw asked for while a job ran: it starts when the runner is free
        self.refresh = StaggeredRefresh(parent=self)
        self.chain = ChainSection(self.state)
        self.controls = self.chain.controls
        self.timeline = self.chain.player.timeline
        self.sweep = SweepSection(state=self.state)
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
        self.state.changed.connect(self._on_state_changed)
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
        self.controls.sampler.set_max_steps(cfg.timesteps)
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
        if self.state.job is CDDPMJob.CHAIN:
            self.runner.stop()  # the latest request wins: it starts when this chain has stopped
        else:
            self.chain.info.setText(
                f"{self.state.text()} will be drawn when the running job ({self.runner.label}) ends."
            )

    def start_chain(self) -> None:
        """Run the guided chain the state asks for in the background, its frames kept as they come."""
        record = self.state.new_chain(self.model_cfg.timesteps)
        self._pending = False
        self.state.update(job=CDDPMJob.CHAIN)
        self.chain.start(record)
        assert self.checkpoint is not None, "a chain starts with a model loaded"
        self.runner.start(
            guided_job(record, self.model_cfg, weights_of(self.checkpoint), self.device),
            on_yield=self._on_frame,
            on_end=self._on_chain_end,
            label=f"Sampling {record.digit}s with w = {record.guidance:g}",
            owner=self.title,
        )
        self.chain.info.setText(f"Drawing {self.state.text()} ({record.config.describe()})…")

    def _on_frame(self, frame: GuidedFrame) -> None:
        """Keep the frame now; move the views on over the next turns of the event loop."""
        self.chain.add_frame(frame)
        self.refresh.request("timeline", self.chain.sync_timeline)

    def _on_chain_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)
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

    def _on_busy_changed(self, busy: bool) -> None:
        self.state.update(busy=busy)
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
        state = self.state
        job = guidance_sweep_job(state, self.model_cfg, weights_of(self.checkpoint), self.device)
        digit, n, sampler = state.digit, state.sweep_n, state.sampler_config("ddim")
        self.sweep.clear()
        state.update(job=CDDPMJob.SWEEP)
        self.runner.start(
            job,
            on_yield=self.sweep.follow,
            on_done=self.sweep.finish,
            on_end=self._on_sweep_end,
            label=f"Sweeping w for {digit}s",
            owner=self.title,
        )
        self.sweep.info.setText(
            f"Drawing {n} × {digit} at each w ({sampler.describe()}); each point appears as soon as its w is judged."
        )

    def _on_sweep_end(self, succeeded: bool) -> None:
        self.state.update(job=None)
        self.sweep.end(succeeded)

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
        self.state.update(job=CDDPMJob.TRAINING)
        self.model_info.setText(
            "Training… the loss falls as the network learns the noise, told the digit or ∅; "
            f"guided samples of every digit refresh every {self.preview_every_s:.0f} s."
        )

    def on_snapshot(self, snap: CDDPMSnapshot) -> None:
        self.training.follow(snap, self.refresh)

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if names & {"busy", "job"}:
            self._update_buttons()

    def _update_buttons(self) -> None:
        state, ready = self.state, self.model is not None
        set_enabled(self.chain.sample_button, state.can_sample(ready))
        set_enabled(self.sweep.measure_button, state.can_sweep(ready))
        set_enabled(self.training.train_button, state.can_train)
