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
from superqt.utils import signals_blocked

from explorer.core.divergence import Base
from explorer.core.divergence.view_state import DivergenceState
from explorer.ui.panels.divergences.continuous_tab import ContinuousTab
from explorer.ui.panels.divergences.discrete_tab import DiscreteTab
from explorer.ui.panels.divergences.fit_tab import FitTab


class DivergencePanel(QWidget):
    """Entropy, cross-entropy, KL and JS you can touch: discrete, continuous, and forward vs reverse KL; ``state``
    holds the units and what each tab shows."""

    title = "Divergences"
    checkpoint_kind = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = DivergenceState()
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

        self.discrete = DiscreteTab(state=self.state)
        self.continuous = ContinuousTab(state=self.state)
        self.fit = FitTab(state=self.state)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.discrete, "Discrete")
        self.tabs.addTab(self.continuous, "Continuous")
        self.tabs.addTab(self.fit, "Forward vs reverse KL")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self.bits_button.toggled.connect(lambda on: self.set_units("bits" if on else "nats"))
        self.state.changed.connect(self._on_state_changed)

    @property
    def units(self) -> Base:
        return self.state.units

    def set_units(self, units: Base) -> None:
        """Show every number in bits (log base 2) or nats (natural log)."""
        self.state.update(units=units)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        """The switch shows the state's units (without announcing them back); the tabs follow the state themselves."""
        if "units" in names:
            button = self.bits_button if self.state.units == "bits" else self.nats_button
            with signals_blocked(self._units_group, self.bits_button, self.nats_button):
                button.setChecked(True)
