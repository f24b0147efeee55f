"""The field under the points: which score (exact, the score network's, the DDPM's), at which noise level σ."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QGroupBox, QLabel, QSlider, QWidget

from explorer.core.plane.lab_state import LabState
from explorer.core.plane.requests import FIELDS
from explorer.ui.widgets.help_button import HelpButton

SIGMA_RANGE = (0.02, 5.0)
TICKS = 200
HELP = (
    "The arrows are the score ∇ₓ log p_σ(x): at every point, the direction in which the density of the data "
    "blurred by Gaussian noise of scale σ grows fastest (lengths are compressed so every σ stays readable). "
    "Small σ: sharp arrows pointing at the nearest piece of data, wild in the empty space between. Large σ: "
    "one smooth pull towards the middle. 'exact' is the known mixture's score (ring, known mixture) or that "
    "of the data smoothed by σ; 'score net' is s(x, σ) learned by denoising score matching; 'DDPM' is "
    "−ε̂(√ᾱ_t·x, t)/σ_t, the DDPM's noise prediction read as a score at the step t whose "
    "σ_t² = (1 − ᾱ_t)/ᾱ_t matches σ (coordinates x/√ᾱ_t, the data's own frame). The heat map is log p_σ. "
    "The number compares the chosen model's field with the exact one at points of p_σ: mean cosine and "
    "relative error √(Σ‖s − s*‖²)/√(Σ‖s*‖²)."
)


def sigma_at(tick: int) -> float:
    low, high = (math.log(v) for v in SIGMA_RANGE)
    return math.exp(low + (high - low) * tick / TICKS)


def tick_for(sigma: float) -> int:
    low, high = (math.log(v) for v in SIGMA_RANGE)
    return round((math.log(sigma) - low) / (high - low) * TICKS)


class FieldSection(QGroupBox):
    """Writes ``field_source`` and ``sigma``; ``show_agreement`` shows the panel's comparison."""

    def __init__(self, state: LabState, parent: QWidget | None = None) -> None:
        super().__init__("Score field", parent)
        self.state = state
        self.source = QComboBox()
        self.source.addItems(list(FIELDS))
        self.source.currentTextChanged.connect(lambda text: state.update(field_source=text))
        self.heat = QCheckBox("heat map log p_σ")
        self.heat.setChecked(state.heat)
        self.heat.toggled.connect(lambda on: state.update(heat=on))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, TICKS)
        self.slider.setValue(tick_for(state.sigma))
        self.slider.valueChanged.connect(lambda tick: state.update(sigma=sigma_at(tick)))
        self.sigma_label = QLabel()
        self.agreement = QLabel()
        self.agreement.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addWidget(self.source, 0, 0)
        grid.addWidget(self.heat, 0, 1)
        grid.addWidget(HelpButton(HELP), 0, 2)
        grid.addWidget(self.sigma_label, 1, 0)
        grid.addWidget(self.slider, 1, 1, 1, 2)
        grid.addWidget(self.agreement, 2, 0, 1, 3)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"sigma", "field_source"}))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "sigma" in names:
            self.sigma_label.setText(f"σ = {self.state.sigma:.3g}")
            if tick_for(self.state.sigma) != self.slider.value():
                self.slider.setValue(tick_for(self.state.sigma))
        if "field_source" in names and self.source.currentText() != self.state.field_source:
            self.source.setCurrentText(self.state.field_source)

    def show_agreement(self, text: str) -> None:
        self.agreement.setText(text)
