"""Stacked bars that show cross-entropy as entropy plus KL, for both directions."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF

from explorer.core.divergence import Base, log_base
from explorer.ui.panels.divergences.style import (
    KL_COLOUR,
    P_COLOUR,
    Q_COLOUR,
    StyledPlot,
    fixed,
    format_value,
    held_range,
    rounded_out,
    steady_left_axis,
)


class CrossEntropyPlot(StyledPlot):
    """H(p,q) = H(p) + KL(p‖q) and H(q,p) = H(q) + KL(q‖p) as two bars: an entropy with KL stacked on top.

    Each part is labelled inside itself where its label fits; a part too thin for it (an entropy
    dragged to 0, a small KL) has its label moved above the bar, under the total, so that no label
    is cut off by the axis or spills over its neighbour.
    """

    def __init__(self) -> None:
        super().__init__("Cross-entropy = entropy + KL", "", "")
        self._entropy_bars = pg.BarGraphItem(
            x=[0, 1],
            height=[0, 0],
            width=0.5,
            pen=pg.mkPen("#333"),
            brushes=[pg.mkBrush(P_COLOUR), pg.mkBrush(Q_COLOUR)],
        )
        self._kl_bars = pg.BarGraphItem(
            x=[0, 1], y0=[0, 0], height=[0, 0], width=0.5, brush=pg.mkBrush(KL_COLOUR), pen=pg.mkPen("#333")
        )
        self._texts = [pg.TextItem(color="#111", anchor=(0.5, 0.5)) for _ in range(4)]  # H, KL of bar 0; of bar 1
        self._totals = [pg.TextItem(color="#111", anchor=(0.5, 1.0)) for _ in range(2)]
        for item in (self._entropy_bars, self._kl_bars, *self._texts, *self._totals):
            self.addItem(item)
        self.getPlotItem().getAxis("bottom").setTicks(
            [[(0.0, "H(p,q) = H(p) + KL(p‖q)"), (1.0, "H(q,p) = H(q) + KL(q‖p)")]]
        )
        self.setXRange(-0.5, 1.5, padding=0)
        self._parts = np.zeros((2, 2))  # (bar, [entropy, KL]) heights as drawn
        self._cap = 1.0
        self._units: Base | None = None  # the units the left axis is labelled in
        self._held = False  # a bar is held: the y range holds still while the bars fill it (held_range)
        steady_left_axis(self.getPlotItem(), "12.5")
        self.getPlotItem().getViewBox().sigResized.connect(self._place_labels)

    def set_values(self, v: dict[str, float], categories: int, units: Base) -> None:
        """Redraw from the discrete tab's values (keyed "H(p)", "KL(p‖q)", "H(p,q)", ...) over K categories."""
        entropies = np.array([v["H(p)"], v["H(q)"]])
        kls = np.array([v["KL(p‖q)"], v["KL(q‖p)"]])
        finite_tops = [e + k for e, k in zip(entropies, kls, strict=True) if math.isfinite(k)]
        # an infinite KL is drawn hatched up to a cap above every finite bar
        self._cap = 1.3 * max([*finite_tops, math.log(categories) / log_base(units), 0.1])
        shown = np.where(np.isfinite(kls), kls, self._cap - entropies)
        brushes = [
            QBrush(QColor(KL_COLOUR), Qt.BrushStyle.BDiagPattern) if math.isinf(k) else pg.mkBrush(KL_COLOUR)
            for k in kls
        ]
        self._entropy_bars.setOpts(height=entropies)
        self._kl_bars.setOpts(y0=entropies, height=shown, brushes=brushes)
        names = (("H(p)", "KL(p‖q)", "H(p,q)"), ("H(q)", "KL(q‖p)", "H(q,p)"))
        for i, (h_name, kl_name, total_name) in enumerate(names):
            self._texts[2 * i].setText(f"{h_name} = {fixed(v[h_name])}")
            self._texts[2 * i + 1].setText(f"{kl_name} = {'∞' if math.isinf(kls[i]) else fixed(kls[i])}")
            self._totals[i].setText(f"{total_name} = {format_value(v[total_name], units)}")
        self._parts = np.stack([entropies, shown], axis=1)
        self._place_labels()
        if units != self._units:  # a new label redraws its axis: only when the units change
            self._units = units
            self.getPlotItem().setLabel("left", units)

    def thin_parts(self) -> np.ndarray:
        """(bar, [entropy, KL]) booleans: the parts whose label sits above the bar, as they are now."""
        return np.array([[text.anchor.y() > 0.5 for text in self._texts[2 * i : 2 * i + 2]] for i in range(2)])

    def set_range_held(self, held: bool) -> None:
        """While a bar is held the y range holds still while the bars fill it (``held_range``); let go, it fits
        them tightly again."""
        self._held = held
        if not held:
            self._place_labels()

    def _place_labels(self) -> None:
        """Labels inside the parts that can hold one, the others stacked above their bar under the total;
        the y range leaves room above the bars for every line stacked there."""
        plot_px = max(self.getPlotItem().getViewBox().height(), 1.0)
        line_px = self._totals[0].textItem.boundingRect().height()  # a stacked line, with the item's margins
        fits_px = QFontMetricsF(self._totals[0].textItem.font()).height() + 4  # a label inside a part
        tops = self._parts.sum(axis=1)

        def layout(top: float) -> tuple[np.ndarray, float]:
            """The parts too thin for their label when the range's top is ``top``, and the top they then need."""
            thin = self._parts * plot_px / top < fits_px  # (bar, part)
            lines = 1 + thin.sum(axis=1)  # the total and the labels moved above each bar
            room = 1.0 - lines * line_px / plot_px  # the fraction of the height left for the bar itself
            return thin, max(1.2 * self._cap, *(t / r if r > 0.2 else 5 * t for t, r in zip(tops, room, strict=True)))

        def top_for(needed: float) -> float:
            if self._held:
                low, high = self.getPlotItem().getViewBox().viewRange()[1]
                return held_range((low, high), 0.0, needed)[1]
            return rounded_out(0.0, needed)[1]

        # A higher range thins the parts, which may then need more room above: settle on the range shown.
        # The parts only get thinner as it grows, so this ends within a pass per part.
        shown = top_for(1.2 * self._cap)
        for _ in range(6):
            thin, needed = layout(shown)
            if needed <= shown:
                break
            shown = top_for(needed)
        for i in range(2):
            base, above = 0.0, 0
            for text, part, is_thin in zip(self._texts[2 * i : 2 * i + 2], self._parts[i], thin[i], strict=True):
                if is_thin:
                    text.setAnchor((0.5, 1.0 + above))  # one line above the one before
                    text.setPos(i, tops[i])
                    above += 1
                else:
                    text.setAnchor((0.5, 0.5))
                    text.setPos(i, base + part / 2)
                base += part
            self._totals[i].setAnchor((0.5, 1.0 + above))
            self._totals[i].setPos(i, tops[i])
        self.setYRange(0, shown, padding=0)
