"""What to draw: the digit y, the guidance weight w, and the Diffusion panel's sampler settings; a form over a
``GuidedRequest``."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from explorer.core.conditional import DIGITS
from explorer.core.conditional.cddpm_state import GUIDED_FIELDS, GuidedRequest
from explorer.core.runtime.limits import declared_range
from explorer.ui.panels.diffusion.sampler_controls import SamplerControls

MAX_SLIDER_W = (
    8.0  # the slider offers w up to 8 of what the request takes: past a few, all samples of a digit look alike
)


class GuidanceControls(QWidget):
    """Digit buttons 0..9, the w slider and the sampler row, bound to ``state``: an edit writes the state, a change
    of it shows here; ``changed`` on any change of what to draw (and on a click of the digit already asked for)."""

    changed = Signal()

    def __init__(self, state: GuidedRequest | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state = state if state is not None else GuidedRequest()
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
        digits.addSpacing(12)
        digits.addWidget(QLabel("guidance w"))
        self.guidance = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        low, high = declared_range(type(state), "w")
        self.guidance.setRange(low, min(high, MAX_SLIDER_W))
        self.guidance.setDecimals(2)  # the default w shown as it is, not rounded to one decimal
        self.guidance.setSingleStep(0.05)  # type: ignore[arg-type]  # superqt's stub: int
        self.guidance.setPageStep(1.0)  # type: ignore[arg-type]  # superqt's stub: int
        self.guidance.setToolTip(
            "ε_w = (1 + w)·ε(x_t, y) − w·ε(x_t, ∅): 0 is the plain conditional model; "
            "more pushes the samples towards what makes y likely"
        )
        self.guidance.setMinimumWidth(160)
        digits.addWidget(self.guidance, 1)
        self.sampler = SamplerControls(state)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(digits)
        column.addWidget(self.sampler)
        self._show(frozenset({"digit", "w"}))
        self.digit_buttons.idClicked.connect(self.set_digit)
        self.guidance.valueChanged.connect(lambda w: state.update(w=round(float(w), 2)))
        state.changed.connect(self._on_state_changed)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        self._show(names)
        if names & GUIDED_FIELDS:
            self.changed.emit()

    def _show(self, names: frozenset[str]) -> None:
        """Show the state's digit and w where they changed, without announcing them back to it."""
        if "digit" in names:
            self.digit_buttons.button(self.state.digit).setChecked(True)
        if "w" in names and round(float(self.guidance.value()), 2) != self.state.w:
            with QSignalBlocker(self.guidance):
                self.guidance.setValue(self.state.w)

    def digit(self) -> int:
        return self.state.digit

    def set_digit(self, digit: int) -> None:
        """Choose ``digit`` as a click would: announced even when it was the digit asked for already."""
        if digit == self.state.digit:
            self.changed.emit()
        else:
            self.state.update(digit=digit)

    def w(self) -> float:
        return self.state.w
