"""A label for the panel's explanations and refusals, shown in place rather than in a dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


class MessageLabel(QLabel):
    """Where the panel explains normalisation, infinities and refused input, instead of a dialog."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumHeight(36)

    def show_info(self, text: str) -> None:
        self.setStyleSheet("color:#333; background:#eef3fb; padding:4px; border-radius:4px;")
        self.setText(text)

    def show_error(self, text: str) -> None:
        self.setStyleSheet("color:#8a1010; background:#fdecea; padding:4px; border-radius:4px;")
        self.setText("⚠ " + text)
