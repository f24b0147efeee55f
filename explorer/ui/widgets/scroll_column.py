"""A fixed-width column of controls that scrolls when the window is too low for it, rather than
crushing its spin boxes and combo boxes to slivers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QWidget


def scroll_column(column: QWidget) -> QScrollArea:
    """``column`` (of a fixed width) in a vertical scroll area just wide enough for it and a scroll bar;
    it keeps the height its content needs at that width, and scrolls when the page is lower."""
    area = QScrollArea()
    area.setWidget(column)
    area.setWidgetResizable(True)  # the column fills the area's height where it has room
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    bar = area.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    area.setFixedWidth(column.width() + bar)
    return area
