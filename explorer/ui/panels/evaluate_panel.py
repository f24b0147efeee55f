"""The Evaluate panel: score every model against the MNIST test set, side by side with real digits.

What it teaches: a generative model is judged by comparing the distribution of its
samples with that of real data, in the feature space of a network that knows digits
(FID, KID); by how confidently and how evenly a classifier recognises the samples
(Inception Score, class histogram); and against the floor that real digits reach.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.evaluation.evaluate import FLOOR, MAX_N, MIN_N, EvalProgress, EvalResult, EvalRow, evaluate_models
from explorer.core.families import FAMILIES
from explorer.core.runtime.jobs import Job
from explorer.ui.widgets.class_histogram import ClassHistogram
from explorer.ui.widgets.image_grid import ImageGrid
from explorer.ui.widgets.status_label import pin_width, status_label
from explorer.ui.worker import Runner

TITLES = {"vae": "VAE", "ddpm": "DDPM", "gan": "GAN", FLOOR: "Floor: real training digits"}
COLUMNS = ("FID ↓", "KID ↓ (± std)", "IS ↑ (± std)", "draw time", "status")
SHOWN_GRID = 36  # samples in each grid (6 x 6)

EXPLANATION = (
    "<b>How good is a generative model?</b> A GAN has no likelihood to report, so we compare its "
    "<i>samples</i> with real digits, in the eyes of a judge network. The usual judge, ImageNet's "
    "Inception, cannot be downloaded here; an MNIST classifier trained by this project stands in."
    "<ul style='margin-left:-20px'>"
    "<li><b>FID</b>: fit a Gaussian to the judge's 128-d features of the samples, another to those of the "
    "10,000 test digits; FID = ‖μ₁−μ₂‖² + Tr(Σ₁+Σ₂−2(Σ₁Σ₂)<sup>½</sup>). Lower is better. Blur, noise "
    "and missing digits all raise it; it is biased upwards when N is small.</li>"
    "<li><b>KID</b>: the squared MMD between the two feature sets with a cubic kernel, unbiased, "
    "averaged over subsets. Lower is better; about 0 for the same distribution; fair across N.</li>"
    "<li><b>IS</b>: exp E<sub>x</sub> KL(p(y|x) ‖ p(y)). High when each sample is clearly one digit and all "
    "ten digits occur; at most 10.</li>"
    "<li><b>Class histogram</b>: how often the judge sees each digit. Missing bars are dropped modes "
    "(mode collapse); the dashed line is 10%.</li>"
    "<li><b>Floor</b>: N real <i>training</i> digits scored the same way — the best a model can hope "
    "for at this N.</li></ul>"
)


def _grid_title(name: str) -> str:
    return "real training digits" if name == FLOOR else f"{TITLES[name]}: samples"


class EvaluatePanel(QWidget):
    """Choose models and N, evaluate in the background, read the table, the samples and the histograms."""

    title = "Evaluate"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.in_process = True
        self.reference_limit = 0  # compare with only the first test digits (0: all 10,000), for quick tests
        self.checkpoints: dict[str, Path] = {name: family.default_checkpoint for name, family in FAMILIES.items()}
        self.result: EvalResult | None = None
        self.rows: dict[str, EvalRow] = {}
        self._running: list[str] = []
        self._build()
        runner.busy_changed.connect(self._on_busy_changed)
        self.refresh_availability()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        explanation.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.model_boxes: dict[str, QCheckBox] = {}
        boxes = QVBoxLayout()
        for name in FAMILIES:
            box = QCheckBox(TITLES[name])
            box.setChecked(True)
            self.model_boxes[name] = box
            boxes.addWidget(box)
        self.n = QSpinBox()
        self.n.setRange(MIN_N, MAX_N)
        self.n.setSingleStep(500)
        self.n.setValue(2000)
        self.n.setToolTip("Samples per model, and real training digits for the floor. "
                          "FID is biased upwards for small N: compare rows at the same N.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(lambda: self.start_evaluation())
        form = QFormLayout()
        form.addRow("models", boxes)
        form.addRow("samples N", self.n)
        form.addRow("seed", self.seed)
        form.addRow(self.evaluate_button)
        self.status = status_label("Press Evaluate. The same numbers come from the command line: gen-explorer eval all -n N.")
        form.addRow(self.status)
        controls = QGroupBox("Evaluate against the 10,000 MNIST test digits")
        controls.setLayout(form)

        left = QVBoxLayout()
        left.addWidget(controls)
        left.addWidget(explanation, 1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setFixedWidth(380)
        pin_width(self.status, 380, left, controls, form)  # it changes with every step of the evaluation

        names = [*FAMILIES, FLOOR]
        self.table = QTableWidget(len(names), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setVerticalHeaderLabels([TITLES[n] for n in names])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height()
                                  + len(names) * rows.defaultSectionSize() + 2 * self.table.frameWidth())
        self.row_index = {name: i for i, name in enumerate(names)}
        self._set_cell(FLOOR, 4, "not evaluated")

        self.grids: dict[str, ImageGrid] = {}
        self.histograms: dict[str, ClassHistogram] = {}
        cards = QGridLayout()
        for col, name in enumerate(names):
            grid = ImageGrid(_grid_title(name))
            grid.setMinimumSize(180, 190)
            histogram = ClassHistogram("class histogram")
            histogram.setMinimumHeight(170)
            self.grids[name], self.histograms[name] = grid, histogram
            cards.addWidget(grid, 0, col)
            cards.addWidget(histogram, 1, col)
            cards.setColumnStretch(col, 1)
        cards.setRowStretch(0, 3)
        cards.setRowStretch(1, 2)

        right = QVBoxLayout()
        right.addWidget(self.table)
        right.addLayout(cards, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

    def _set_cell(self, name: str, column: int, text: str) -> None:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setItem(self.row_index[name], column, item)

    def cell(self, name: str, column: int) -> str:
        item = self.table.item(self.row_index[name], column)
        return item.text() if item else ""

    # ---- models -------------------------------------------------------------------------------
    def available(self) -> list[str]:
        """The models whose checkpoint file exists now."""
        return [name for name, path in self.checkpoints.items() if Path(path).is_file()]

    def refresh_availability(self) -> None:
        """Mark models without a checkpoint (they may appear while the app runs)."""
        available = self.available()
        for name, box in self.model_boxes.items():
            box.setEnabled(name in available and not self.runner.busy)
            text = TITLES[name] if name in available else f"{TITLES[name]} (no checkpoint)"
            if text != box.text():  # it appeared or went: tick it only when there is something to evaluate
                box.setText(text)
                box.setChecked(name in available)
                self.grids[name].label.setText(_grid_title(name), color="#333", size="10pt")
            if name not in available:
                self._show_missing(name)
            elif name not in self.rows and self.cell(name, 4) in ("", "no checkpoint"):
                self._set_cell(name, 4, "not evaluated")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Look for checkpoints again each time the tab is shown: training may have made one."""
        if not self.runner.busy:
            self.refresh_availability()
        super().showEvent(event)

    def _show_missing(self, name: str) -> None:
        for column in range(len(COLUMNS) - 1):
            self._set_cell(name, column, "—")
        self._set_cell(name, 4, "no checkpoint")
        self.rows.pop(name, None)
        grid = self.grids[name]
        grid.image.clear()
        grid.n = 0
        grid.label.setText(f"{TITLES[name]}: no checkpoint", color="#a33", size="10pt")
        self.histograms[name].set_counts(np.zeros(10))

    # ---- evaluation ---------------------------------------------------------------------------
    def start_evaluation(self, n: int | None = None, seed: int | None = None) -> None:
        """Evaluate the checked models that have a checkpoint, and the floor, in the background."""
        self.refresh_availability()
        available = self.available()
        models = [m for m, box in self.model_boxes.items() if box.isChecked() and m in available]
        n = n or self.n.value()
        seed = self.seed.value() if seed is None else seed
        self._running = [*models, FLOOR]
        for name in self._running:
            for column in range(len(COLUMNS) - 1):
                self._set_cell(name, column, "")
            self._set_cell(name, 4, "waiting…")
            self.rows.pop(name, None)
        self.runner.start(
            Job(evaluate_models, {"models": models, "n": n, "seed": seed, "device": self.device,
                                  "checkpoints": {m: str(self.checkpoints[m]) for m in models},
                                  "reference_limit": self.reference_limit}),
            on_yield=self._on_progress,
            on_done=self._on_done,
            on_end=self._on_end,
            in_process=self.in_process,
            label="Evaluating",
        )
        skipped = [TITLES[m] for m in FAMILIES if m not in available]
        self.status.setText(f"Evaluating {', '.join(TITLES[m] for m in models) or 'only the floor'} "
                            f"with N = {n}…" + (f" No checkpoint: {', '.join(skipped)}." if skipped else ""))

    def _on_progress(self, progress: EvalProgress) -> None:
        self.status.setText(f"{progress.stage} ({100 * progress.fraction:.0f}%)")
        current = progress.stage.split(":")[0]
        if current in self._running and current not in self.rows:
            self._set_cell(current, 4, "running…")
        if progress.missing is not None:
            self._show_missing(progress.missing[0])
        if progress.row is not None:
            self.show_row(progress.row)

    def show_row(self, row: EvalRow) -> None:
        """Fill a model's table row, sample grid and class histogram."""
        self.rows[row.name] = row
        self._set_cell(row.name, 0, f"{row.fid:.2f}")
        self._set_cell(row.name, 1, f"{row.kid:.4f} ± {row.kid_std:.4f}")
        self._set_cell(row.name, 2, f"{row.score:.2f} ± {row.score_std:.2f}")
        self._set_cell(row.name, 3, f"{row.seconds:.1f} s")
        self._set_cell(row.name, 4, f"done, N = {row.n}")
        self.grids[row.name].set_images(row.samples[:SHOWN_GRID])
        self.grids[row.name].label.setText(_grid_title(row.name), color="#333", size="10pt")
        self.histograms[row.name].set_counts(row.histogram)

    def _on_done(self, result: EvalResult) -> None:
        self.result = result
        floor = result.row(FLOOR)
        self.status.setText(f"Done in {result.seconds:.0f} s: N = {result.n} per model against {result.reference} "
                            f"test digits, judged by the {result.classifier}. The floor's FID is {floor.fid:.2f}: "
                            "a model near it is as good as this test can tell.")

    def _on_end(self, succeeded: bool) -> None:
        if not succeeded:
            for name in self._running:
                if name not in self.rows:
                    self._set_cell(name, 4, "stopped")
            self.status.setText("The evaluation did not finish; the rows that were done are shown.")
        self._running = []
        self.refresh_availability()

    def _on_busy_changed(self, busy: bool) -> None:
        self.evaluate_button.setEnabled(not busy)
        available = self.available()
        for name, box in self.model_boxes.items():
            box.setEnabled(not busy and name in available)
