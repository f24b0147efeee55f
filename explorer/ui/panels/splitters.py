"""The layout the trainable panels share: their views side by side in a splitter, above the training row
in another, so the user can trade room between them (and fold the training row away)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget


def columns_over_training(
    panel: QWidget,
    columns: list[tuple[QWidget, int, int]],
    training: QWidget,
    rows: tuple[int, int] = (750, 250),
    margins: bool = True,
) -> tuple[QSplitter, QSplitter]:
    """Lay ``panel`` out as ``columns`` ((widget, stretch, starting width) each, left to right) above
    ``training``, the columns taking three quarters of the height; returns the (columns, rows) splitters."""
    across = QSplitter(Qt.Orientation.Horizontal)
    across.setChildrenCollapsible(False)
    for widget, stretch, _ in columns:
        across.addWidget(widget)
        across.setStretchFactor(across.count() - 1, stretch)
    across.setSizes([width for _, _, width in columns])  # relative: the splitter shares its room in these proportions
    down = QSplitter(Qt.Orientation.Vertical)
    down.addWidget(across)
    down.addWidget(training)
    down.setCollapsible(0, False)
    down.setStretchFactor(0, 3)
    down.setStretchFactor(1, 1)
    down.setSizes(list(rows))
    layout = QVBoxLayout(panel)
    if not margins:
        layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(down)
    return across, down
