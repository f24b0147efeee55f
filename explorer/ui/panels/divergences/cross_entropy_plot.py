"""Stacked bars that show cross-entropy as entropy plus KL, for both directions."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from explorer.core.divergence import Base, log_base
from explorer.ui.panels.divergences.style import KL_COLOUR, P_COLOUR, Q_COLOUR, StyledPlot, format_value


class CrossEntropyPlot(StyledPlot):
    """H(p,q) = H(p) + KL(p‖q) and H(q,p) = H(q) + KL(q‖p) as two bars: an entropy with KL stacked on top."""

    def __init__(self) -> None:
        super().__init__("Cross-entropy = entropy + KL", "", "")
        self._entropy_bars = pg.BarGraphItem(
            x=[0, 1], height=[0, 0], width=0.5, pen=pg.mkPen("#333"),
            brushes=[pg.mkBrush(P_COLOUR), pg.mkBrush(Q_COLOUR)],
        )
        self._kl_bars = pg.BarGraphItem(x=[0, 1], y0=[0, 0], height=[0, 0], width=0.5,
                                        brush=pg.mkBrush(KL_COLOUR), pen=pg.mkPen("#333"))
        self._texts = [pg.TextItem(color="#111", anchor=(0.5, 0.5)) for _ in range(4)]
        self._totals = [pg.TextItem(color="#111", anchor=(0.5, 1.0)) for _ in range(2)]
        for item in (self._entropy_bars, self._kl_bars, *self._texts, *self._totals):
            self.addItem(item)
        self.getPlotItem().getAxis("bottom").setTicks(
            [[(0.0, "H(p,q) = H(p) + KL(p‖q)"), (1.0, "H(q,p) = H(q) + KL(q‖p)")]]
        )
        self.setXRange(-0.5, 1.5, padding=0)

    def set_values(self, v: dict[str, float], categories: int, units: Base) -> None:
        """Redraw from the discrete tab's values (keyed "H(p)", "KL(p‖q)", "H(p,q)", ...) over K categories."""
        entropies = np.array([v["H(p)"], v["H(q)"]])
        kls = np.array([v["KL(p‖q)"], v["KL(q‖p)"]])
        finite_tops = [e + k for e, k in zip(entropies, kls) if math.isfinite(k)]
        # an infinite KL is drawn hatched up to a cap above every finite bar
        cap = 1.3 * max([*finite_tops, math.log(categories) / log_base(units), 0.1])
        shown = np.where(np.isfinite(kls), kls, cap - entropies)
        brushes = [
            QBrush(QColor(KL_COLOUR), Qt.BrushStyle.BDiagPattern) if math.isinf(k) else pg.mkBrush(KL_COLOUR)
            for k in kls
        ]
        self._entropy_bars.setOpts(height=entropies)
        self._kl_bars.setOpts(y0=entropies, height=shown, brushes=brushes)
        names = (("H(p)", "KL(p‖q)", "H(p,q)"), ("H(q)", "KL(q‖p)", "H(q,p)"))
        for i, (h_name, kl_name, total_name) in enumerate(names):
            self._texts[2 * i].setText(f"{h_name} = {v[h_name]:.3f}")
            self._texts[2 * i].setPos(i, entropies[i] / 2)
            self._texts[2 * i + 1].setText(f"{kl_name} = {'∞' if math.isinf(kls[i]) else f'{kls[i]:.3f}'}")
            self._texts[2 * i + 1].setPos(i, entropies[i] + shown[i] / 2)
            self._totals[i].setText(f"{total_name} = {format_value(v[total_name], units)}")
            self._totals[i].setPos(i, entropies[i] + shown[i])
        self.setYRange(0, cap * 1.2, padding=0)
        self.getPlotItem().setLabel("left", units)
