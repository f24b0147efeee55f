"""Filled areas under curves, drawn opaque in the colour a translucent fill shows over the white plot.

A translucent fill blends every pixel it covers with what lies below; an opaque one only writes it, at a
fraction of the cost, and the Continuous tab's two plots repaint their areas at every step of a slider's drag.
Where two areas overlap, a third fill of their minimum takes the colour the two translucent fills made there,
so the picture is the one the translucent fills drew. The areas lie under every curve and line of their plot.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

WHITE = QColor("white")
BELOW_CURVES = -10  # an area's z: under the curves, the zero line and the legend


def over(colour: str, alpha: int, below: QColor = WHITE) -> QColor:
    """The opaque colour that ``colour`` at ``alpha`` (0-255) shows over ``below`` (source-over blending)."""
    top, a = QColor(colour), alpha / 255.0
    tops, belows = (top.red(), top.green(), top.blue()), (below.red(), below.green(), below.blue())
    return QColor(*(round(t * a + b * (1.0 - a)) for t, b in zip(tops, belows, strict=True)))


def area(colour: QColor) -> pg.PlotCurveItem:
    """An area between a curve and 0, in ``colour``, with no outline (its curve draws that)."""
    item = pg.PlotCurveItem(pen=None, fillLevel=0.0, brush=colour)
    item.setZValue(BELOW_CURVES)
    return item


class OverlappingAreas:
    """The areas under two densities, each in its colour at ``alpha``, and their overlap in the colour the second
    over the first makes, as two translucent fills would show them; added to ``plot``."""

    def __init__(self, plot: pg.PlotWidget, first: str, second: str, alpha: int) -> None:
        self.first, self.second = area(over(first, alpha)), area(over(second, alpha))
        self.both = area(over(second, alpha, over(first, alpha)))
        for item in (self.first, self.second, self.both):
            plot.addItem(item)

    def set_data(self, x: np.ndarray, first: np.ndarray, second: np.ndarray) -> None:
        self.first.setData(x, first)
        self.second.setData(x, second)
        self.both.setData(x, np.minimum(first, second))
