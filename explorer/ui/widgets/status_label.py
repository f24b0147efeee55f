"""Labels for text that changes while work runs: wrapped, top-aligned, of a fixed height."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLayout, QWidget


def status_label(text: str = "", lines: int = 4) -> QLabel:
    """A wrapped label ``lines`` lines high, so that longer text never pushes the views around it."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop)
    label.setFixedHeight(lines * label.fontMetrics().lineSpacing())
    return label


def pin_width(label: QLabel, column_width: int, *frames: QWidget | QLayout) -> None:
    """Fix ``label``'s width too: what is left of a fixed-width column inside ``frames``' side margins.

    A label whose size may still change asks the whole window to lay out and repaint again
    each time its text changes; a label updated several times a second needs this.
    """
    sides = sum(f.contentsMargins().left() + f.contentsMargins().right() for f in frames)
    label.setFixedWidth(column_width - sides)
