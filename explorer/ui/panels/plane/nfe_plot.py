"""Sample quality against the number of network evaluations, one curve per sampler, the data's floor dashed."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from explorer.core.plane.samplers import SAMPLERS
from explorer.core.plane.sweep import SweepPoint

COLOURS = {"ddpm": "#1f77b4", "ddim": "#2ca02c", "euler": "#d62728", "heun": "#9467bd"}


class NFEPlot(pg.PlotWidget):
    """MMD² (log) against NFE (log) for each sampler of one trained DDPM."""

    def __init__(self) -> None:
        super().__init__(background="w")
        self.setTitle("Quality vs network evaluations", color="#333", size="10pt")
        self.setLabel("bottom", "NFE")
        self.setLabel("left", "MMD²")
        self.setLogMode(x=True, y=True)
        self.setMinimumHeight(170)
        self.setXRange(0, 3, padding=0.05)  # log₁₀ NFE: 1 to 1000
        self.setYRange(-3, 0, padding=0.05)  # log₁₀ MMD², until a sweep fills it
        self.addLegend(offset=(-5, 5), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 190))
        self.curves = {
            name: self.plot(
                [],
                [],
                pen=pg.mkPen(COLOURS[name], width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=COLOURS[name],
                symbolPen=None,
                name=name,
            )
            for name in SAMPLERS
        }
        self.floor = self.plot([], [], pen=pg.mkPen("#555", width=1.5, style=Qt.PenStyle.DashLine), name="data floor")

    def show_sweep(self, points: list[SweepPoint]) -> None:
        for name, curve in self.curves.items():
            mine = [p for p in points if p.sampler == name]
            curve.setData(np.array([p.nfe for p in mine], float), np.array([max(p.mmd2, 1e-6) for p in mine]))
        if points:
            self.floor.setData(np.array([1.0, 1000.0]), np.full(2, max(points[0].floor, 1e-6)))
        else:
            self.floor.setData([], [])
