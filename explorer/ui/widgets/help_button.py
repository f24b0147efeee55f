"""A small “?” button that holds a section's explanation, so the paragraph costs no room on a laptop screen."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QToolButton, QWhatsThis, QWidget


class HelpButton(QToolButton):
    """Shows ``text`` as a tooltip on hover and as a popup that stays until the next click when pressed."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText("?")
        self.setToolTip(f"<p>{html.escape(text)}</p>")  # rich text: Qt wraps it
        self.setWhatsThis(self.toolTip())
        self.clicked.connect(self._on_clicked)

    def _on_clicked(self) -> None:
        QWhatsThis.showText(self.mapToGlobal(self.rect().bottomLeft()), self.whatsThis(), self)
