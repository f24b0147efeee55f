"""Training a lab model live: which model, how many steps, Train / Stop, the loss curve and the quality number."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QWidget

from explorer.core.plane.models import DDPMConfig, ScoreConfig
from explorer.core.plane.quality import BANDWIDTHS, MARGIN
from explorer.ui.panels.plane.state import LabJob, LabState
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.help_button import HelpButton

HELP = (
    "'score' trains s(x, σ) by denoising score matching: ½‖σ·s(x + σz, σ) + z‖², σ log-uniform between "
    "σ_min and σ_max (a geometric range, Song & Ermon 2019). 'ddpm' trains ε̂(x_t, t) by ‖ε − ε̂‖² (Ho et al. "
    "2020), T = 1000 steps of the linear β schedule. Both are MLPs on (x, y) and a sinusoidal embedding of "
    "the noise level. Training runs in the background; Stop brings back the model you had.\n\n"
    "Quality: MMD² between 2,000 samples and 2,000 data points, with the kernel "
    f"Σ_h exp(−‖a−b‖²/2h²), h = {', '.join(f'{h:g}' for h in BANDWIDTHS)}; its floor is the MMD² of two "
    f"fresh draws of the data itself (for drawn points: one half against the other). Within {MARGIN:g}× the "
    "floor counts as matching the data."
)


class TrainingSection(QGroupBox):
    """Writes ``train_model`` and ``train_steps``; Train calls ``train()``, Stop ``stop()``."""

    def __init__(
        self, state: LabState, train: Callable[[], None], stop: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__("Training", parent)
        self.state = state
        self.model = QComboBox()
        self.model.addItems(["ddpm", "score"])
        self.model.setCurrentText(state.train_model)
        self.model.currentTextChanged.connect(
            lambda text: state.update(
                train_model=text, train_steps=(ScoreConfig if text == "score" else DDPMConfig)().steps
            )
        )
        self.steps = QSpinBox()
        self.steps.setRange(100, 200_000)
        self.steps.setSingleStep(500)
        self.steps.setValue(state.train_steps)
        self.steps.setSuffix(" steps")
        self.steps.valueChanged.connect(lambda n: state.update(train_steps=int(n)))
        self.train = QPushButton("Train")
        self.train.clicked.connect(train)
        self.stop = QPushButton("Stop")
        self.stop.clicked.connect(stop)
        self.loss = CurvePlot("Training loss", "step", "loss")
        self.loss.add_curve("loss", "#1f77b4")
        self.loss.setMinimumHeight(120)
        self.quality = QLabel()
        self.quality.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addWidget(self.model, 0, 0)
        grid.addWidget(self.steps, 0, 1)
        grid.addWidget(HelpButton(HELP), 0, 2)
        grid.addWidget(self.train, 1, 0)
        grid.addWidget(self.stop, 1, 1, 1, 2)
        grid.addWidget(self.loss, 2, 0, 1, 3)
        grid.addWidget(self.quality, 3, 0, 1, 3)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"job", "quality"}))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "train_steps" in names and self.steps.value() != self.state.train_steps:
            self.steps.setValue(self.state.train_steps)
        if "job" in names:
            self.train.setEnabled(self.state.job is LabJob.IDLE)
            self.stop.setEnabled(self.state.job is not LabJob.IDLE)
        if "losses" in names:
            steps, losses = zip(*self.state.losses, strict=False) if self.state.losses else ((), ())
            self.loss.set_curve("loss", list(steps), list(losses))
            self.loss.redraw()
        if "quality" in names:
            lines = []
            for what, (value, floor) in self.state.quality.items():
                ratio = value / floor if floor > 0 else float("inf")
                verdict = "at the floor" if ratio <= MARGIN else f"{ratio:.1f}× the floor"
                lines.append(f"{what}: MMD² {value:.4f} (floor {floor:.4f}, {verdict})")
            self.quality.setText("\n".join(lines) or "Quality: train a model, then sample it.")
