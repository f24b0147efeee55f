"""The Classifier guidance tab: the shipped *unconditional* DDPM steered to a digit by the gradient of a
classifier trained on noisy digits (Dhariwal & Nichol 2021), beside classifier-free guidance from the same x_T.

What it teaches: Bayes' rule on the noisy marginal, ∇log p(x_t|y) = ∇log p(x_t) + ∇log p(y|x_t), turns any
classifier that can read x_t into a conditional sampler; the scale s trades variety for legibility, as w does
for classifier-free guidance, and the same sweep measures both.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from explorer.core.conditional.cddpm import CDDPMConfig
from explorer.core.conditional.classifier_state import ClassifierGuidanceState, ClassifierJob, Models, Weights
from explorer.core.conditional.jobs import GuidanceComparison
from explorer.core.conditional.noisy_classifier import KIND as NOISY_KIND
from explorer.core.conditional.noisy_classifier import NOISY_CLASSIFIER_CHECKPOINT
from explorer.core.conditional.sweep import CLASSIFIER_SWEEP
from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import config_from_dict, load_checkpoint, weights_of
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.limits import declared_range
from explorer.ui.panels.conditional.cddpm_panel import SETTLE_MS
from explorer.ui.panels.conditional.guidance_controls import GuidanceControls
from explorer.ui.panels.conditional.sweep_section import SweepSection
from explorer.ui.widgets.focus import set_enabled
from explorer.ui.widgets.image_grid import ImageGrid
from explorer.ui.widgets.status_label import status_label
from explorer.ui.worker import Runner

MAX_SLIDER_S = 20.0  # the slider's range; the state and the CLI take up to MAX_CLASSIFIER_SCALE
FORMULA = (
    "ε̂(x_t) = ε_θ(x_t) − s·√(1 − ᾱ_t)·∇ₓ log p_φ(y | x_t)   (Dhariwal & Nichol 2021, Algorithm 2). "
    "Since ε_θ = −√(1 − ᾱ_t)·∇log p(x_t), this walks the score of p(x_t)·p_φ(y | x_t)^s: s = 1 is Bayes' "
    "p(x_t | y), larger s sharpens it. The DDPM never saw a label; p_φ was trained on digits noised to every t."
)


class ClassifierGuidanceTab(QWidget):
    """Controls, the two grids from the same noise, and the s sweep, bound to ``state``; it draws on first show."""

    name = "Classifier guidance (DDPM + noisy classifier)"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.device = runner, device
        self.cddpm_source: Any = None  # the Conditional panel's cDDPM tab, whose model the comparison draws
        self._models: Models | None = None
        self.state = state = ClassifierGuidanceState(busy=runner.busy)
        self.controls = GuidanceControls(state)
        self.scale = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        low, high = declared_range(type(state), "scale")
        self.scale.setRange(low, min(high, MAX_SLIDER_S))
        self.scale.setDecimals(1)
        self.scale.setValue(state.scale)
        self.scale.setToolTip("s = 0: the unconditional DDPM, every digit; larger s: the asked digit, less varied")
        self.draw_button = QPushButton("Draw both")
        self.formula = QLabel(FORMULA)
        self.formula.setWordWrap(True)
        self.info = status_label("", lines=2)
        self.pushed = ImageGrid("classifier guidance: DDPM + p_φ(y | x_t), scale s")
        self.free = ImageGrid("classifier-free guidance: cDDPM, weight w")
        self.sweep = SweepSection(values=CLASSIFIER_SWEEP, symbol="s", state=state)
        self.sweep.setTitle("The trade-off, measured: accuracy and diversity against s")
        self._lay_out()
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._draw_when_free)
        self.controls.changed.connect(self._settle.start)  # a change of digit, w or sampler draws again
        self.scale.valueChanged.connect(lambda s: state.update(scale=round(float(s), 2)))
        self.draw_button.clicked.connect(self.draw)
        self.sweep.measure_button.clicked.connect(self.start_sweep)
        runner.busy_changed.connect(lambda busy: state.update(busy=busy))
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"busy"}))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "scale" in names:
            if round(float(self.scale.value()), 2) != self.state.scale:
                with QSignalBlocker(self.scale):
                    self.scale.setValue(self.state.scale)
            self._settle.start()  # a change of s draws again
        if names & {"busy", "job"}:
            set_enabled(self.draw_button, self.state.can_draw)
            set_enabled(self.sweep.measure_button, self.state.can_sweep)

    def _lay_out(self) -> None:
        scale_row = QHBoxLayout()
        scale_row.addWidget(QLabel("classifier scale s"))
        scale_row.addWidget(self.scale, 1)
        scale_row.addWidget(self.draw_button)
        grids = QHBoxLayout()
        for grid in (self.pushed, self.free):
            grid.setMinimumSize(200, 200)
            grids.addWidget(grid, 1)
        draw = QGroupBox("The same digit, the same x_T, two ways to guide")
        column = QVBoxLayout(draw)
        column.addWidget(self.formula)
        column.addWidget(self.controls)
        column.addLayout(scale_row)
        column.addWidget(self.info)
        column.addLayout(grids, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(draw)
        split.addWidget(self.sweep)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.state.drawn and not self.runner.busy:
            self.state.update(drawn=True)
            self.draw()

    # ---- the models ---------------------------------------------------------------------------
    def models(self) -> Models:
        """The shipped DDPM's and noisy classifier's (config, weights), read once; one line if either is missing."""
        if self._models is None:
            from explorer.core.conditional.noisy_classifier import NoisyClassifierConfig

            family = FAMILIES["ddpm"]
            ddpm = load_checkpoint(family.default_checkpoint, kind="ddpm")
            noisy = load_checkpoint(NOISY_CLASSIFIER_CHECKPOINT, kind=NOISY_KIND)
            self._models = (
                (config_from_dict(family.config, ddpm.config), weights_of(ddpm)),
                (config_from_dict(NoisyClassifierConfig, noisy.config), weights_of(noisy)),
            )
        return self._models

    def _cddpm(self) -> tuple[CDDPMConfig, Weights] | None:
        source = self.cddpm_source
        if source is None or source.model is None or source.checkpoint is None:
            return None
        return (source.model_cfg, weights_of(source.checkpoint))

    # ---- drawing ------------------------------------------------------------------------------
    def _draw_when_free(self) -> None:
        """Draw what the controls now say; while another job runs, the controls' change waits for Draw both."""
        if not self.isVisible():
            return
        if self.runner.busy:
            self.info.setText(f"Press Draw both when the running job ({self.runner.label}) has ended.")
            return
        self.draw()

    def draw(self) -> None:
        """Draw the chosen digit both ways from the same seed, in the background."""
        if self.runner.busy:
            self.info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        try:
            models = self.models()
        except ExplorerError as exc:
            self.info.setText(str(exc))
            return
        state = self.state
        self.runner.start(
            state.comparison_job(models, self._cddpm(), self.device),
            on_yield=lambda frame: None,  # the status bar shows the chains' progress
            on_done=self._show,
            on_end=self._on_job_end,
            label=state.comparison_text(),
            owner="Conditional",
        )
        state.update(job=ClassifierJob.COMPARISON)
        self.info.setText(
            f"Drawing {state.digit}s with s = {state.scale:g}, then with w = {state.w:g}, from the same x_T "
            f"({state.sampler_config().describe()})…"
        )

    def _show(self, result: GuidanceComparison) -> None:
        self.pushed.set_images(result.classifier_guided)
        lines = [f"classifier guidance: {100 * result.accuracy_classifier_guided:.0f}% read as {result.digit}"]
        if result.classifier_free is not None and result.accuracy_classifier_free is not None:
            self.free.set_images(result.classifier_free)
            lines.append(f"classifier-free: {100 * result.accuracy_classifier_free:.0f}%")
        else:
            self.free.blank()
            lines.append("no cDDPM loaded in the cDDPM tab for the comparison")
        self.info.setText(" · ".join(lines) + " (by the metrics' classifier, which neither model was trained with).")

    # ---- the sweep ----------------------------------------------------------------------------
    def start_sweep(self) -> None:
        if self.runner.busy:
            self.sweep.info.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        try:
            models = self.models()
        except ExplorerError as exc:
            self.sweep.info.setText(str(exc))
            return
        state = self.state
        self.sweep.clear()
        self.runner.start(
            state.sweep_job(models, self.device),
            on_yield=self.sweep.follow,
            on_done=self.sweep.finish,
            on_end=self._on_sweep_end,
            label=f"Sweeping s for {state.digit}s",
            owner="Conditional",
        )
        state.update(job=ClassifierJob.SWEEP)
        self.sweep.info.setText(
            f"Drawing {state.sweep_n} × {state.digit} at each s ({state.sampler_config('ddim').describe()}); "
            "each point appears when judged."
        )

    def _on_sweep_end(self, succeeded: bool) -> None:
        self.sweep.end(succeeded)
        self._on_job_end(succeeded)

    def _on_job_end(self, succeeded: bool) -> None:
        self.state.update(job=None)
