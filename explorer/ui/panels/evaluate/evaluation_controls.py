"""The Evaluate panel's left column: which models, how many samples, the Evaluate button, and what the scores mean."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.evaluation.panel_state import EvaluateState
from explorer.core.families import FAMILIES
from explorer.ui.panels.evaluate.titles import TITLES
from explorer.ui.widgets.bounded_box import fit_to_field
from explorer.ui.widgets.status_label import pin_width, status_label

WIDTH = 380
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
    "<li><b>IS</b>: exp E<sub>x</sub> KL(p(y|x) ‖ p(y)) over all N samples, ± its bootstrap standard error. "
    "High when each sample is clearly one digit and all ten digits occur; at most 10.</li>"
    "<li><b>Confidence</b>: the judge's mean probability for the digit it reads; near 1 (real: 0.99) when "
    "every sample is clean.</li>"
    "<li><b>Class histogram</b>: how often the judge sees each digit. Missing bars are dropped modes "
    "(mode collapse); the dashed line is 10%.</li>"
    "<li><b>Floor</b>: N real <i>training</i> digits scored the same way — the best a model can hope "
    "for at this N.</li></ul>"
)


class EvaluationControls(QWidget):
    """A check box per model family (``model_boxes``), samples ``n`` and ``seed`` (a form over ``state``: an edit
    writes it, its changes show), the ``evaluate_button``, the run's ``status``, and the explanation of FID, KID,
    IS, the class histogram and the floor."""

    def __init__(self, state: EvaluateState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        request = type(state)
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        explanation.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.model_boxes: dict[str, QCheckBox] = {}
        boxes = QGridLayout()  # two columns: the explanation below keeps its room on a laptop screen
        for i, name in enumerate(FAMILIES):
            box = QCheckBox(TITLES[name])
            box.toggled.connect(lambda ticked, name=name: self._on_ticked(name, ticked))
            self.model_boxes[name] = box
            boxes.addWidget(box, i // 2, i % 2)
        self.n = QSpinBox()
        fit_to_field(self.n, request, "n")
        self.n.setSingleStep(500)
        self.n.setToolTip(
            "Samples per model, and real training digits for the floor. "
            "FID is biased upwards for small N: compare rows at the same N."
        )
        self.seed = QSpinBox()
        fit_to_field(self.seed, request, "seed")
        self._show(frozenset({"models", "n", "seed"}))
        self.n.valueChanged.connect(lambda n: state.update(n=n))
        self.seed.valueChanged.connect(lambda seed: state.update(seed=seed))
        state.changed.connect(self._show)
        self.evaluate_button = QPushButton("Evaluate")
        form = QFormLayout()
        form.addRow("models", boxes)
        form.addRow("samples N", self.n)
        form.addRow("seed", self.seed)
        form.addRow(self.evaluate_button)
        self.status = status_label(
            "Press Evaluate. The same numbers come from the command line: gen-explorer eval all -n N."
        )
        form.addRow(self.status)
        controls = QGroupBox("Evaluate against the 10,000 MNIST test digits")
        controls.setLayout(form)

        column = QVBoxLayout(self)
        column.addWidget(controls)
        column.addWidget(explanation, 1)
        self.setFixedWidth(WIDTH)
        pin_width(self.status, WIDTH, column, controls, form)  # it changes with every step of the evaluation

    def _on_ticked(self, name: str, ticked: bool) -> None:
        self.state.update(models=self.state.models | {name} if ticked else self.state.models - {name})

    def _show(self, names: frozenset[str]) -> None:
        """Show the request's values that changed, without announcing them back to it."""
        if "models" in names:
            for name, box in self.model_boxes.items():
                with QSignalBlocker(box):
                    box.setChecked(name in self.state.models)
        for name, spin in (("n", self.n), ("seed", self.seed)):
            if name in names:
                with QSignalBlocker(spin):
                    spin.setValue(getattr(self.state, name))

    def enable(self, available: list[str]) -> None:
        """Offer the button while nothing runs, and the boxes of the ``available`` models (with a checkpoint)."""
        self.evaluate_button.setEnabled(self.state.can_evaluate)
        for name, box in self.model_boxes.items():
            box.setEnabled(self.state.can_tick(name, available))
