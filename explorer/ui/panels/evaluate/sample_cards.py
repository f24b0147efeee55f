"""The Evaluate panel's cards: per model (and the floor), a grid of its samples over the judge's class histogram."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QWidget

from explorer.core.evaluation.evaluate import FLOOR, EvalRow
from explorer.ui.panels.evaluate.titles import TITLES
from explorer.ui.widgets.class_histogram import ClassHistogram
from explorer.ui.widgets.image_grid import ImageGrid

SHOWN_GRID = 36  # samples in each grid (6 x 6)


def _grid_title(name: str) -> str:
    return "real training digits" if name == FLOOR else f"{TITLES[name]}: samples"


class SampleCards(QWidget):
    """One column per name: ``grids[name]`` above ``histograms[name]``."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grids: dict[str, ImageGrid] = {}
        self.histograms: dict[str, ClassHistogram] = {}
        cards = QGridLayout(self)
        cards.setContentsMargins(0, 0, 0, 0)
        for col, name in enumerate(names):
            grid = ImageGrid(_grid_title(name))
            grid.setMinimumSize(180, 190)
            histogram = ClassHistogram("class histogram")
            histogram.setMinimumHeight(170)
            self.grids[name], self.histograms[name] = grid, histogram
            cards.addWidget(grid, 0, col)
            cards.addWidget(histogram, 1, col)
            cards.setColumnStretch(col, 1)
        cards.setRowStretch(0, 3)
        cards.setRowStretch(1, 2)

    def show_title(self, name: str) -> None:
        self.grids[name].label.setText(_grid_title(name), color="#333", size="10pt")

    def show_missing(self, name: str) -> None:
        """Empty cards that say the model has no checkpoint."""
        grid = self.grids[name]
        grid.image.clear()
        grid.n = 0
        grid.label.setText(f"{TITLES[name]}: no checkpoint", color="#a33", size="10pt")
        self.histograms[name].set_counts(np.zeros(10))

    def show_row(self, row: EvalRow) -> None:
        self.grids[row.name].set_images(row.samples[:SHOWN_GRID])
        self.show_title(row.name)
        self.histograms[row.name].set_counts(row.histogram)
