"""Training a lab model live: which model, how many steps, Train / Train all / Stop, every family's loss
curve, how long the running training has left, and the quality number."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QWidget

from explorer.core.plane.lab_state import LabJob, LabState
from explorer.core.plane.models import DDPMConfig, ScoreConfig
from explorer.core.plane.quality import BANDWIDTHS, MARGIN
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.help_button import HelpButton

FAMILY_TITLES = {"score": "score net", "ddpm": "DDPM", "realnvp": "RealNVP", "fm": "FM", "reflow": "reflow"}
CURVE_COLOURS = {"score": "#ff7f0e", "ddpm": "#1f77b4", "realnvp": "#2ca02c", "fm": "#d62728", "reflow": "#9467bd"}
HELP = (
    "'score' trains s(x, σ) by denoising score matching: ½‖σ·s(x + σz, σ) + z‖², σ log-uniform between "
    "σ_min and σ_max (a geometric range, Song & Ermon 2019). 'ddpm' (Ho et al. 2020, T = 1000 steps of the "
    "linear β schedule) trains a net to predict v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022), from which ε̂ "
    "follows exactly, with t drawn so that ln σ_t is normal (Karras et al. 2022): more of the training at the "
    "noise levels that shape the samples than uniform t gives. Both are MLPs on (x, y) and a sinusoidal embedding of "
    "the noise level. Training runs in the background; Stop brings back the model you had. 'Train all' "
    "trains the score net, the DDPM, the RealNVP, flow matching and its reflow on the current data, one "
    "after another, each with its default settings, fills the family table and ends with quality against "
    "NFE for the DDPM and both flow-matching fields.\n\n"
    "The loss plot keeps each family's last run: the score net's and the DDPM's and flow matching's losses "
    "are mean squared errors, the RealNVP's is its training NLL in nats.\n\n"
    "Quality: MMD² between 2,000 samples and 2,000 data points, with the kernel "
    f"Σ_h exp(−‖a−b‖²/2h²), h = {', '.join(f'{h:g}' for h in BANDWIDTHS)}; its floor is the MMD² of two "
    f"fresh draws of the data itself (for drawn points: one half against the other). Within {MARGIN:g}× the "
    "floor counts as matching the data."
)


class TrainingSection(QGroupBox):
    """Writes ``train_model`` and ``train_steps``; Train calls ``train()``, Train all ``train_all()``, Stop
    ``stop()``; shows ``losses``, ``progress`` and ``quality``."""

    def __init__(
        self,
        state: LabState,
        train: Callable[[], object],
        stop: Callable[[], None],
        train_all: Callable[[], None] | None = None,
        parent: QWidget | None = None,
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
        self.train_all = QPushButton("Train all")
        self.train_all.setToolTip(
            "The score net, the DDPM, the RealNVP, flow matching and its reflow, one after another, on the current data"
        )
        if train_all is not None:
            self.train_all.clicked.connect(train_all)
        self.stop = QPushButton("Stop")
        self.stop.clicked.connect(stop)
        self.loss = CurvePlot("Training loss", "step", "loss (RealNVP: NLL)")
        self.loss.legend_per_line = 3  # five families: beside the title the last ones are cut off
        self.loss.setMinimumHeight(120)
        self._curves: set[str] = set()  # the families with a curve on the plot
        self.progress = QLabel()
        self.progress.setWordWrap(True)
        self.quality = QLabel()
        self.quality.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addWidget(self.model, 0, 0)
        grid.addWidget(self.steps, 0, 1)
        grid.addWidget(HelpButton(HELP), 0, 2)
        grid.addWidget(self.train, 1, 0)
        grid.addWidget(self.train_all, 1, 1)
        grid.addWidget(self.stop, 1, 2)
        grid.addWidget(self.loss, 2, 0, 1, 3)
        grid.addWidget(self.progress, 3, 0, 1, 3)
        grid.addWidget(self.quality, 4, 0, 1, 3)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"job", "quality", "progress"}))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "train_steps" in names and self.steps.value() != self.state.train_steps:
            self.steps.setValue(self.state.train_steps)
        if "job" in names:
            idle = self.state.job is LabJob.IDLE
            self.train.setEnabled(idle)
            self.train_all.setEnabled(idle)
            self.stop.setEnabled(not idle)
        if "losses" in names:
            self._show_losses()
        if names & {"progress", "training", "queue"}:
            self.progress.setText(self.state.progress)
            self.progress.setVisible(bool(self.state.progress))
        if "quality" in names:
            lines = []
            for what, (value, floor) in self.state.quality.items():
                ratio = value / floor if floor > 0 else float("inf")
                verdict = "at the floor" if ratio <= MARGIN else f"{ratio:.1f}× the floor"
                lines.append(f"{what}: MMD² {value:.4f} (floor {floor:.4f}, {verdict})")
            self.quality.setText("\n".join(lines) or "Quality: train a model, then sample it.")

    def _show_losses(self) -> None:
        """One curve per family that has trained; a family's curve is created the first time it has points."""
        losses = self.state.losses
        for family, colour in CURVE_COLOURS.items():
            points = losses.get(family, [])
            if points and family not in self._curves:
                self.loss.add_curve(FAMILY_TITLES[family], colour)
                self._curves.add(family)
            if family in self._curves:
                steps, values = zip(*points, strict=True) if points else ((), ())
                self.loss.set_curve(FAMILY_TITLES[family], list(steps), list(values))
        self.loss.redraw()
