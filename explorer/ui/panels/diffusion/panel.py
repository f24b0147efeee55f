"""The Diffusion panel: noise a digit step by step, then watch a network take the noise away.

What it teaches: the forward process q(x_t | x_0) needs no model, it only mixes a digit with
Gaussian noise by the schedule's ᾱ_t; the reverse chain starts from pure noise x_T and at
every step predicts the noise ε̂ in x_t, hence a guess x̂_0 of the final digit, and moves a
little towards it. DDPM walks all T steps adding fresh noise; DDIM jumps over most of them.
Beside the chain, the ELBO tab shows why that is a likelihood model: its bound on a test digit, term by term.

Timesteps are shown in the paper's numbering t = 1..T (the core counts 0..T-1); the
forward view's t = 0 is the clean digit.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from explorer.core.diffusion import DDPM, DDPMConfig, DDPMSnapshot, NoiseSchedule
from explorer.core.diffusion.chain_job import SamplerFrame, weights_of
from explorer.core.diffusion.elbo_trace import BoundChunk, bound_job
from explorer.core.diffusion.panel_state import DiffusionJob, DiffusionState, chains_job
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.jobs import Job
from explorer.ui.panels.diffusion.chain_section import NO_MODEL, ChainSection
from explorer.ui.panels.diffusion.compare_section import CompareSection
from explorer.ui.panels.diffusion.elbo_section import ELBOSection
from explorer.ui.panels.diffusion.forward_section import ForwardSection
from explorer.ui.panels.diffusion.quality_section import QualitySection
from explorer.ui.panels.diffusion.schedule_section import ScheduleSection
from explorer.ui.panels.diffusion.training_section import TrainingSection, describe_checkpoint
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.splitters import columns_over_training
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.image_grid import tile
from explorer.ui.worker import Runner


class DiffusionPanel(ModelPanel):
    """Schedule, forward process, a scrubbable reverse chain, DDPM vs DDIM, the samplers' quality against
    their cost, the ELBO term by term, and training: seven sections
    this class lays out and wires to each other, to the model and to the runner's jobs. ``state`` holds the chain
    asked for and the job running; the panel builds its jobs from it."""

    title = "Diffusion"
    checkpoint_kind = "ddpm"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.test = load_mnist("test")
        self.state = DiffusionState(busy=runner.busy)
        self.refresh = StaggeredRefresh(parent=self)
        self.schedule_section = schedule = ScheduleSection()
        self.forward_section = forward = ForwardSection(self.test, schedule.schedule)
        self.chain_section = chain = ChainSection(self.state)
        self.compare_section = CompareSection()
        self.quality_section = QualitySection()
        self.elbo_section = elbo = ELBOSection(self.test)
        self.training_section = training = TrainingSection()
        self._lay_out()
        schedule.schedule_changed.connect(forward.set_schedule)
        forward.t_changed.connect(schedule.schedule_plot.show_forward_t)
        chain.shown.connect(self._on_chain_shown)
        chain.run_button.clicked.connect(lambda: self.start_chain())
        chain.compare_button.clicked.connect(lambda: self.start_chain(("ddpm", "ddim")))
        chain.cancel_button.clicked.connect(self.runner.stop)
        training.train_button.clicked.connect(lambda: self.start_training())
        elbo.compute_requested.connect(self.start_bound)
        elbo.stop_requested.connect(self.runner.stop)

        self.model_info = training.model_info  # where ModelPanel says what the model is
        chain.player.timeline.add_shortcuts(self)
        runner.busy_changed.connect(self._on_busy_changed)
        self.state.changed.connect(self._on_state_changed)
        schedule.remake()
        self._update_buttons()

    @property
    def active(self) -> str | None:
        """The sampler whose chain the timeline shows."""
        return self.chain_section.active

    @property
    def selected(self) -> int:
        """The sample the large views and the comparison follow."""
        return self.chain_section.player.state.selected

    @property
    def view_schedule(self) -> NoiseSchedule:
        """The schedule plotted, by which the forward process noises its digit."""
        return self.schedule_section.schedule

    def _lay_out(self) -> None:
        """Schedule and forward process | chain | comparison and quality side by side above training, split so the user
        can trade room between them (training folds away entirely); everything fits a 1280 x 720 laptop."""
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.schedule_section, 5)
        column.addWidget(self.forward_section, 4)
        right = QTabWidget()  # the comparison, or the samplers' quality against their cost: one at a time
        right.setDocumentMode(True)
        right.addTab(self.compare_section, "DDPM vs DDIM")
        right.addTab(self.quality_section, "Quality vs NFE")
        right.setMinimumWidth(self.compare_section.minimumSizeHint().width())  # the tabs' frame within the old width
        self.right_tabs = right
        centre = QTabWidget()  # the chain, or the bound on a test digit: the widest column holds either
        centre.setDocumentMode(True)
        centre.addTab(self.chain_section, "Reverse chain")
        centre.addTab(self.elbo_section, "The ELBO, term by term")
        centre.currentChanged.connect(self._on_centre_tab_changed)
        self.centre_tabs = centre
        self.columns, self.rows = columns_over_training(
            self, [(left, 3, 300), (centre, 6, 700), (right, 3, 260)], self.training_section
        )

    # ---- model --------------------------------------------------------------------------------
    def load_shipped(self) -> None:
        """Load the shipped model, then sample a chain of it with the default settings in the background,
        so the panel opens on something to scrub (unless a job is running: the runner takes one at a time)."""
        super().load_shipped()
        if self.model is not None and not self.runner.busy:
            self.start_chain()

    def describe(self, ckpt: Checkpoint) -> str:
        return describe_checkpoint(ckpt)

    def show_no_model(self) -> None:
        super().show_no_model()
        self.chain_section.chain_info.setText(NO_MODEL)
        self.elbo_section.set_model(None)

    def install(self, model: DDPM, cfg: DDPMConfig, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one the chains use; chains of the previous model are dropped."""
        self.chain_section.set_model(cfg)
        self.state.new_model()
        self.elbo_section.set_model(model)
        self._on_centre_tab_changed(self.centre_tabs.currentIndex())
        self.schedule_section.show_model_schedule(cfg.schedule, cfg.timesteps)
        self._update_buttons()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        self.training_section.show_record(ckpt)

    # ---- reverse chain ------------------------------------------------------------------------
    def start_chain(self, samplers: tuple[str, ...] | None = None) -> None:
        """Run the chosen sampler from the seed's x_T in the background; or, to compare ``samplers``, run
        in turn those whose chain for these settings is not stored yet, then show them side by side."""
        if self.model is None or self.model_cfg is None or self.checkpoint is None:
            self.chain_section.chain_info.setText(NO_MODEL)
            return
        if self.runner.busy:
            self.chain_section.chain_info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        chain = self.chain_section
        if samplers is None:
            samplers = (self.state.sampler,)
        else:
            samplers = chain.missing(samplers)
            if not samplers:
                chain.show_chosen()
                self.update_compare()
                chain.chain_info.setText(
                    "Both chains are stored for these settings already: compare them at "
                    "any t by scrubbing the timeline."
                )
                return
        records = chain.new_chains(samplers, self.model_cfg.timesteps)
        self.state.update(job=DiffusionJob.CHAIN)
        self.runner.start(
            chains_job(records, self.model_cfg, weights_of(self.checkpoint), self.device),
            on_yield=self._on_chain_frame,
            on_end=self._on_chain_end,
            label="Sampling " + " then ".join(r.sampler.upper() for r in records),
            owner=self.title,
        )
        self.chain_section.chain_info.setText("Sampling… frames appear as they are made; scrub back at any time.")

    def _on_chain_frame(self, item: SamplerFrame) -> None:
        """Keep the frame now; move the views on over the next turns of the event loop."""
        if self.chain_section.add_frame(item):
            self.refresh.request("timeline", self.chain_section.sync_timeline)
        else:
            self.refresh.request("compare", self.update_compare)

    def _on_chain_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)
        self.chain_section.finish(succeeded)
        self.update_compare()

    def _on_chain_shown(self, t: int | None) -> None:
        """Mark the shown frame's t on the schedule and compare the samplers there (None: nothing shown)."""
        self.schedule_section.schedule_plot.show_chain_t(t)
        if t is None:
            self.compare_section.clear()
        else:
            self.update_compare()

    def update_compare(self) -> None:
        """Both samplers' x_t | x̂_0 of the selected sample at the timeline's t, if they share x_T."""
        chain, state = self.chain_section, self.chain_section.player.state
        self.compare_section.show_chains(chain.chains, state.record, state.frame, state.selected)

    # ---- the bound ----------------------------------------------------------------------------
    def _on_centre_tab_changed(self, index: int) -> None:
        """The first look at the ELBO under a model computes the bound of the digit on show, as soon as the runner
        is free: the terms plot is never empty for long."""
        looked = self.centre_tabs.widget(index) is self.elbo_section
        if looked and not self.state.bound_asked and self.model is not None:
            self.state.update(bound_asked=True)
            self.start_bound(self.elbo_section.state.digit)

    def start_bound(self, digit: int) -> None:
        """Compute every term of test digit ``digit``'s bound in the background (T network passes); if another
        job runs, start when it ends."""
        if self.model is None or self.model_cfg is None or self.checkpoint is None:
            return
        if self.runner.busy:
            self.state.update(bound_waiting=digit)
            self.elbo_section.say(
                f"The bound of test digit #{digit} starts when the running job ({self.runner.label}) ends."
            )
            return
        self.state.update(bound_waiting=None, job=DiffusionJob.BOUND)
        self.elbo_section.job_started(digit)
        self.runner.start(
            Job(
                bound_job,
                {
                    "cfg": self.model_cfg,
                    "weights": weights_of(self.checkpoint),
                    "digit": self.test.images[digit],
                    "device": self.device,
                },
            ),
            on_yield=lambda chunk: self._on_bound_chunk(digit, chunk),
            on_end=self._on_bound_end,
            label=f"The bound of test digit #{digit}",
            owner=self.title,
        )

    def _on_bound_chunk(self, digit: int, chunk: BoundChunk) -> None:
        self.elbo_section.add_chunk(digit, chunk)

    def _on_bound_end(self, succeeded: bool) -> None:
        self.state.update(job=None)
        self.elbo_section.job_ended(succeeded)

    # ---- training -----------------------------------------------------------------------------
    def on_training_started(self, cfg: DDPMConfig) -> None:
        self.training_section.start_curves(cfg.steps)
        self.state.update(job=DiffusionJob.TRAINING)
        self.model_info.setText(
            "Training… the loss falls as the network learns to predict the noise; samples refresh every 10 s."
        )

    def training_config(self) -> DDPMConfig:
        return self.training_section.training_config()

    def on_snapshot(self, snap: DDPMSnapshot) -> None:
        training = self.training_section
        training.loss_plot.add_point("train", snap.step, snap.loss)
        self.refresh.request("loss", training.loss_plot.redraw)
        if snap.samples is not None:
            grid = tile(snap.samples, 4)
            self.refresh.request("samples", lambda: training.train_samples.set_image(grid))

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)
        self._update_buttons()

    # ---- state --------------------------------------------------------------------------------
    def _on_busy_changed(self, busy: bool) -> None:
        self.state.update(busy=busy)
        if self.state.bound_due:
            QTimer.singleShot(0, self._start_waiting_bound)

    def _start_waiting_bound(self) -> None:
        if self.state.bound_waiting is not None and not self.runner.busy:
            self.start_bound(self.state.bound_waiting)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if names & {"busy", "job"}:
            self._update_buttons()

    def _update_buttons(self) -> None:
        state = self.state
        self.chain_section.enable_actions(state.can_sample(self.model is not None), state.busy, state.can_cancel)
        self.training_section.train_button.setEnabled(state.can_train)
