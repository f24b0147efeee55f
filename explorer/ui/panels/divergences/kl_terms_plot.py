"""One bar per category for the terms p_i log(p_i/q_i) that add up to KL(p‖q)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from explorer.core.divergence import Base
from explorer.ui.panels.divergences.style import (
    KL_COLOUR,
    NEGATIVE_COLOUR,
    StyledPlot,
    fixed,
    held_range,
    range_step,
    rounded_out,
    steady_left_axis,
)
from explorer.ui.widgets.distribution_editor import MAX_CATEGORIES


class KlTermsPlot(StyledPlot):
    """Where KL(p‖q) comes from: positive terms red, negative ones green, an infinite one hatched."""

    def __init__(self) -> None:
        super().__init__(
            "Terms p<sub>i</sub> log(p<sub>i</sub>/q<sub>i</sub>): they add up to KL(p‖q)", "", "category i"
        )
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.6, pen=pg.mkPen("#333"))
        self._axes_for: tuple[int, str] | None = None  # the categories and units the axes were drawn for
        self._texts = [pg.TextItem(color="#111", anchor=(0.5, 1.0)) for _ in range(MAX_CATEGORIES)]
        self.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#555")))
        self.addItem(self._bars)
        for text in self._texts:
            self.addItem(text)
        self._span = (0.0, 0.1, 0.1)  # lowest bar, highest bar and the largest finite term, as drawn
        self._held = False  # a bar is held: the y range holds still while the bars fill it (held_range)
        steady_left_axis(self.getPlotItem(), "-0.55")
        self.getPlotItem().getViewBox().sigResized.connect(self._fit_y_range)

    def set_terms(self, terms: np.ndarray, units: Base) -> None:
        """Redraw from the K terms of kl_contributions(p, q), given in `units`."""
        k = terms.size
        finite = terms[np.isfinite(terms)]
        top = max(float(np.max(np.abs(finite))) if finite.size else 0.0, 0.1)
        shown = np.where(np.isfinite(terms), terms, 1.2 * top)
        brushes = [
            QBrush(QColor(KL_COLOUR), Qt.BrushStyle.BDiagPattern)
            if math.isinf(t)
            else pg.mkBrush(KL_COLOUR if t >= 0 else NEGATIVE_COLOUR)
            for t in terms
        ]
        x = np.arange(1, k + 1, dtype=float)
        self._bars.setOpts(x=x, height=shown, brushes=brushes)
        for i, text in enumerate(self._texts):
            text.setVisible(i < k)
            if i < k:
                text.setText("∞" if math.isinf(terms[i]) else fixed(terms[i]))
                text.setPos(x[i], max(shown[i], 0.0))
        self._span = (min(float(np.min(shown)), 0.0), max(float(np.max(shown)), 0.0), top)
        self._fit_y_range()
        if (k, units) != self._axes_for:  # ticks and a label redraw their axis: only when they change
            self._axes_for = (k, units)
            self.setXRange(0.4, k + 0.6, padding=0)
            item = self.getPlotItem()
            item.getAxis("bottom").setTicks([[(float(i), str(i)) for i in range(1, k + 1)]])
            item.setLabel("left", units)

    def set_range_held(self, held: bool) -> None:
        """While a bar is held the y range holds still while the bars fill it (``held_range``); let go, it fits
        them tightly again."""
        self._held = held
        if not held:
            self._fit_y_range()

    def _fit_y_range(self) -> None:
        """The bars with a margin, and room above the highest for its label however short the plot is."""
        low, high, top = self._span
        label = self._texts[0].textItem.boundingRect().height() / max(self.getPlotItem().getViewBox().height(), 1.0)

        def room_above(ymin: float) -> float:
            """The top that leaves the label's share of the height above the highest bar:
            (ymax - high) / (ymax - ymin) >= label."""
            return (high - label * ymin) / (1.0 - label) if label < 0.7 else high + 3 * (high - ymin)

        step = range_step(max(high, 1.45 * top) - low)
        ymin = math.floor((low - 0.1 * top) / step) * step
        ymax = math.ceil(max(1.45 * top, room_above(ymin)) / step) * step
        if self._held:
            shown = self.getPlotItem().getViewBox().viewRange()[1]
            ymin, ymax = held_range((shown[0], shown[1]), ymin, ymax)
            if ymax < room_above(ymin):  # a range grown downwards leaves less room above the highest bar
                ymax = rounded_out(ymin, room_above(ymin))[1]
        self.setYRange(ymin, ymax, padding=0)
