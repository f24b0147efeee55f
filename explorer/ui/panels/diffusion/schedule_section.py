"""The schedule section: β_t, ᾱ_t and SNR of the linear or cosine schedule, with the forward and chain t marked."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from explorer.core.diffusion import DDPMConfig, NoiseSchedule, make_schedule
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.schedule_plot import SchedulePlot

SCHEDULE_HELP = (
    "β_t: the variance of the noise added at step t. ᾱ_t = (1 − β_1)···(1 − β_t): the share of "
    "x_t's variance that is the digit's signal at t (the signal's amplitude is √ᾱ_t). SNR = "
    "ᾱ_t / (1 − ᾱ_t): signal over noise. ᾱ_T, written at the right end, says how close x_T is to "
    "N(0, I), where sampling starts: the linear schedule's betas (Ho et al.'s 1e-4 to 0.02 at "
    "T = 1000) are scaled by 1000 / T so that ᾱ_T stays near 4e-5 for every T. Dashed line: the "
    "forward process's t; orange: the chain's t."
)


class ScheduleSection(QGroupBox):
    """Holds the schedule the panel teaches with: the chosen kind over the model's T (the default T
    before there is a model). The forward process noises its digit by this schedule."""

    schedule_changed = Signal(object)  # the NoiseSchedule now plotted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Noise schedule", parent)
        self.timesteps = DDPMConfig().timesteps
        self.schedule: NoiseSchedule = make_schedule("linear", self.timesteps)
        self.schedule_kind = QComboBox()
        self.schedule_kind.addItems(["linear", "cosine"])
        self.schedule_kind.setToolTip(
            "linear: Ho et al. 2020; cosine: Nichol & Dhariwal 2021 (destroys the digit more slowly)"
        )
        self.schedule_kind.currentTextChanged.connect(self.remake)
        row = QHBoxLayout()
        row.addWidget(QLabel("schedule"))
        row.addWidget(self.schedule_kind)
        row.addStretch()
        self.help = HelpButton(SCHEDULE_HELP)
        row.addWidget(self.help)
        self.schedule_plot = SchedulePlot()
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.schedule_plot, 1)

    def remake(self) -> None:
        """Make and plot the chosen kind of schedule over ``timesteps``, and announce it."""
        self.schedule = make_schedule(self.schedule_kind.currentText(), self.timesteps)
        self.schedule_plot.set_schedule(self.schedule)
        self.schedule_changed.emit(self.schedule)

    def show_model_schedule(self, kind: str, timesteps: int) -> None:
        """Show the schedule a model was trained with."""
        self.timesteps = timesteps
        self.schedule_kind.setCurrentText(kind)  # remakes it if the kind changed
        self.remake()
