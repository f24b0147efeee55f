"""Sample quality against the number of network evaluations, one curve per sampler of each model (the DDPM's
four; Euler and Heun on the flow-matching field and on its reflow), the data's floor dashed."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from explorer.core.plane.samplers import SAMPLERS
from explorer.core.plane.sweep import SweepPoint
from explorer.ui.widgets.curve_plot import legend_title, set_title

COLOURS = {
    "ddpm": "#1f77b4",
    "ddim": "#2ca02c",
    "euler": "#d62728",
    "heun": "#9467bd",
    "FM euler": "#ff7f0e",
    "FM heun": "#8c564b",
    "reflow euler": "#ff7f0e",
    "reflow heun": "#8c564b",
}
TITLE = "Quality vs network evaluations"
FLOW_CURVES = ("FM euler", "FM heun", "reflow euler", "reflow heun")  # flow_sweep's names: "<field> <sampler>"


class NFEPlot(pg.PlotWidget):
    """MMD² (log) against NFE (log) for each sampler of the trained DDPM and flow-matching fields."""

    def __init__(self) -> None:
        super().__init__(background="w")
        self.setTitle(TITLE, color="#333", size="10pt")
        self.setLabel("bottom", "NFE")
        self.setLabel("left", "MMD²")
        self.setLogMode(x=True, y=True)
        self.setMinimumHeight(170)
        self.setXRange(0, 3, padding=0.05)  # log₁₀ NFE: 1 to 1000
        self.setYRange(-3, 0, padding=0.05)  # log₁₀ MMD², until a sweep fills it
        # The legend is in the title, under it, naming the curves that hold points: a box inside the plot
        # hid the curves of the nine names it came to hold.
        self.legend_names: list[str] = []
        self.curves = {
            name: self.plot(
                [],
                [],
                pen=pg.mkPen(
                    COLOURS[name],
                    width=2,
                    style=Qt.PenStyle.DashLine if name.startswith("reflow") else Qt.PenStyle.SolidLine,
                ),
                symbol="o",
                symbolSize=5,
                symbolBrush=COLOURS[name],
                symbolPen=None,
            )
            for name in (*SAMPLERS, *FLOW_CURVES)
        }
        self.floor = self.plot([], [], pen=pg.mkPen("#555", width=1.5, style=Qt.PenStyle.DashLine))

    def show_sweep(self, points: list[SweepPoint]) -> None:
        listed = []
        for name, curve in self.curves.items():
            mine = [p for p in points if p.sampler == name]
            curve.setData(np.array([p.nfe for p in mine], float), np.array([max(p.mmd2, 1e-6) for p in mine]))
            if mine:
                listed.append(name)
        if points:
            listed.append("data floor")
        if listed != self.legend_names:
            self.legend_names = listed
            keys = [self._key(name) for name in listed]
            set_title(self, legend_title(TITLE, keys, per_line=3))
        if points:
            self.floor.setData(np.array([1.0, 1000.0]), np.full(2, max(points[0].floor, 1e-6)))
        else:
            self.floor.setData([], [])

    @staticmethod
    def _key(name: str) -> str:
        """A legend entry in its curve's colour and line: dashed for the reflowed field and the floor."""
        colour = COLOURS.get(name, "#555")
        line = "╍" if name.startswith("reflow") or name == "data floor" else "━"
        return f"<span style='color:{colour}'>{line}{'' if name == 'data floor' else '●'} {name}</span>"
