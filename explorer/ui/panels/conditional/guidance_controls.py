"""What to draw: the digit y, the guidance weight w, and the Diffusion panel's sampler settings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from explorer.core.conditional import DIGITS, GUIDANCE
from explorer.ui.panels.diffusion.sampler_controls import SamplerControls

MAX_SLIDER_W = 8.0  # the slider's range, 0 to 8: past a few, all samples of a digit look alike


class GuidanceControls(QWidget):
    """Digit buttons 0..9, the w slider and the sampler row; ``changed`` on any change of what to draw."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digit_buttons = QButtonGroup(self)
        digits = QHBoxLayout()
        digits.setSpacing(2)
        digits.addWidget(QLabel("digit y"))
        for d in range(DIGITS):
            button = QPushButton(str(d))
            button.setCheckable(True)
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("0") + 22)
            button.setToolTip(f"Ask for {d}s")
            self.digit_buttons.addButton(button, d)
            digits.addWidget(button)
        self.digit_buttons.button(7).setChecked(True)
        digits.addSpacing(12)
        digits.addWidget(QLabel("guidance w"))
        self.guidance = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.guidance.setRange(0.0, MAX_SLIDER_W)
        self.guidance.setDecimals(1)
        self.guidance.setSingleStep(0.1)  # type: ignore[arg-type]  # superqt's stub: int
        self.guidance.setPageStep(1.0)  # type: ignore[arg-type]  # superqt's stub: int
        self.guidance.setValue(GUIDANCE)
        self.guidance.setToolTip(
            "ε_w = (1 + w)·ε(x_t, y) − w·ε(x_t, ∅): 0 is the plain conditional model; "
            "more pushes the samples towards what makes y likely"
        )
        self.guidance.setMinimumWidth(160)
        digits.addWidget(self.guidance, 1)
        self.sampler = SamplerControls()
        self.sampler.n_samples.setValue(16)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(digits)
        column.addWidget(self.sampler)
        self.digit_buttons.idClicked.connect(lambda _: self.changed.emit())
        self.guidance.valueChanged.connect(lambda _: self.changed.emit())
        for spin in (self.sampler.n_samples, self.sampler.seed, self.sampler.ddim_steps, self.sampler.eta):
            spin.valueChanged.connect(lambda _: self.changed.emit())
        self.sampler.sampler.currentIndexChanged.connect(lambda _: self.changed.emit())

    def digit(self) -> int:
        return self.digit_buttons.checkedId()

    def set_digit(self, digit: int) -> None:
        """Choose ``digit`` as a click would (announcing the change)."""
        self.digit_buttons.button(digit).setChecked(True)
        self.changed.emit()

    def w(self) -> float:
        return round(float(self.guidance.value()), 2)
