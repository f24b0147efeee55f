"""A one-line label that shows as much of its text as fits and ends it with "…", the whole in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """``setText`` keeps the whole line (``text()`` returns it); the label paints it cut to its width with an
    ellipsis, so a long line never widens its row nor loses its end silently: the tooltip has it all."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._whole = ""
        # Ignored width: the row decides how wide the label is, never the length of its line.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._whole = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        """The whole line, as set (the label may show it shortened)."""
        return self._whole

    def shown_text(self) -> str:
        """What the label paints now."""
        return super().text()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width()
        super().setText(self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideRight, max(room, 0)))
