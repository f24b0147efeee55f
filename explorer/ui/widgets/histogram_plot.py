"""Histograms over [0, 1] drawn as filled steps, for the discriminator's outputs."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget


class HistogramPlot(pg.PlotWidget):
    """Named histograms of fixed bins on [0, 1], shown as fractions so the axes never move."""

    def __init__(self, title: str, x_label: str, bins: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setTitle(title, color="#333", size="10pt")
        self.setLabel("bottom", x_label)
        self.setLabel("left", "fraction of the batch")
        # A legend at the top centre: D's outputs crowd the ends of [0, 1] more often than its middle.
        self.legend = self.addLegend(labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 190))
        self.legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 5))
        self.setMouseEnabled(False, False)
        self.disableAutoRange()
        self.setXRange(0.0, 1.0, padding=0.02)
        self.setYRange(0.0, 1.0, padding=0.02)
        self.edges = np.linspace(0.0, 1.0, bins + 1)
        self._items: dict[str, pg.PlotDataItem] = {}

    def add_histogram(self, name: str, color: str) -> None:
        fill = pg.mkColor(color)
        fill.setAlpha(70)
        self._items[name] = self.plot(
            self.edges,
            np.zeros(len(self.edges) - 1),
            stepMode="center",
            fillLevel=0,
            brush=fill,
            pen=pg.mkPen(color, width=2),
            name=name,
        )

    def set_counts(self, name: str, counts: np.ndarray) -> None:
        """Show ``counts`` (one per bin) as fractions of their total (all zeros: an empty histogram)."""
        total = counts.sum()
        self._items[name].setData(self.edges, counts / total if total else np.zeros(len(counts)))

    def fractions(self, name: str) -> np.ndarray:
        return self._items[name].getData()[1]
