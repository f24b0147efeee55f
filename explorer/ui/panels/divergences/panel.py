"""DivergencePanel: the units switch over three tabs, discrete, continuous, and forward vs reverse KL."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.divergence import Base
from explorer.ui.panels.divergences.continuous_tab import ContinuousTab
from explorer.ui.panels.divergences.discrete_tab import DiscreteTab
from explorer.ui.panels.divergences.fit_tab import FitTab


class DivergencePanel(QWidget):
    """Entropy, cross-entropy, KL and JS you can touch: discrete, continuous, and forward vs reverse KL."""

    title = "Divergences"
    checkpoint_kind = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(
            "<b>How different are two distributions?</b>  Entropy H, cross-entropy H(·,·), "
            "Kullback–Leibler KL and Jensen–Shannon JS, live as you edit p and q."
        )
        heading.setWordWrap(True)
        heading.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.bits_button = QRadioButton("bits (log₂)")
        self.nats_button = QRadioButton("nats (ln)")
        self.bits_button.setChecked(True)
        self._units_group = QButtonGroup(self)
        self._units_group.addButton(self.bits_button)
        self._units_group.addButton(self.nats_button)
        header = QHBoxLayout()
        header.addWidget(heading, 1)
        header.addWidget(QLabel("Units:"))
        header.addWidget(self.bits_button)
        header.addWidget(self.nats_button)

        self.discrete = DiscreteTab()
        self.continuous = ContinuousTab()
        self.fit = FitTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.discrete, "Discrete")
        self.tabs.addTab(self.continuous, "Continuous")
        self.tabs.addTab(self.fit, "Forward vs reverse KL")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self.bits_button.toggled.connect(lambda on: self.set_units("bits" if on else "nats"))

    @property
    def units(self) -> Base:
        return "bits" if self.bits_button.isChecked() else "nats"

    def set_units(self, units: Base) -> None:
        """Show every number in bits (log base 2) or nats (natural log)."""
        button = self.bits_button if units == "bits" else self.nats_button
        if not button.isChecked():
            button.setChecked(True)
            return
        for tab in (self.discrete, self.continuous, self.fit):
            tab.set_units(units)
