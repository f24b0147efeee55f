"""A label for the panel's explanations and refusals, shown in place rather than in a dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

INFO_STYLE = "color:#333; background:#eef3fb; padding:4px; border-radius:4px;"
ERROR_STYLE = "color:#8a1010; background:#fdecea; padding:4px; border-radius:4px;"


class MessageLabel(QLabel):
    """Where the panel explains normalisation, infinities and refused input, instead of a dialog."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumHeight(36)

    def show_info(self, text: str) -> None:
        self._show(INFO_STYLE, text)

    def show_error(self, text: str) -> None:
        self._show(ERROR_STYLE, "⚠ " + text)

    def _show(self, style: str, text: str) -> None:
        """Restyle only when the kind of message changes: a new style sheet re-polishes the label and lays out
        the tab again, which a dragged bar, showing the same rule at every step, should not pay for."""
        if style != self.styleSheet():
            self.setStyleSheet(style)
        self.setText(text)
