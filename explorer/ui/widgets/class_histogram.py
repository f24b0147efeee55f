"""A bar chart of how often a classifier picks each digit: the mode-collapse meter."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

CLASSES = 10


class ClassHistogram(pg.PlotWidget):
    """Percent of images per digit 0-9, with the uniform 10% drawn as a dashed line.

    The bars are created once and resized with ``setOpts``; the y axis only grows, so a
    live histogram does not jump about.
    """

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setTitle(title, color="#333", size="9pt")
        self.setLabel("left", "% of images")
        self.setMouseEnabled(False, False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.getAxis("bottom").setTicks([[(d, str(d)) for d in range(CLASSES)]])
        self.bars = pg.BarGraphItem(
            x=np.arange(CLASSES), height=np.zeros(CLASSES), width=0.75, brush="#4c78a8", pen=None
        )
        self.addItem(self.bars)
        self.addItem(pg.InfiniteLine(10.0, angle=0, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        self.setXRange(-0.6, CLASSES - 0.4, padding=0)
        self._top = 25.0
        self.setYRange(0, self._top, padding=0)
        self._percent = np.zeros(CLASSES)

    def set_counts(self, counts: np.ndarray) -> None:
        """Show ``counts`` (10,) as percentages of their total; all zeros clears the chart."""
        counts = np.asarray(counts, dtype=float)
        total = counts.sum()
        self._percent = 100.0 * counts / total if total else np.zeros(CLASSES)
        self.bars.setOpts(height=self._percent)
        if self._percent.max() > self._top:
            self._top = min(100.0, 1.2 * self._percent.max())
            self.setYRange(0, self._top, padding=0)

    def percentages(self) -> np.ndarray:
        """The percentages shown (for tests)."""
        return self._percent.copy()
