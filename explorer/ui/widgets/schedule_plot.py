"""The noise schedule over t: β_t, ᾱ_t and the signal-to-noise ratio on one log-scale plot."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem, QWidget

from explorer.core.diffusion import NoiseSchedule

FLOOR = 1e-6  # the cosine schedule's ᾱ_T is ~1e-33: draw anything smaller at this floor
CURVES = (("β_t", "#1f77b4"), ("ᾱ_t", "#d62728"), ("SNR", "#2ca02c"))  # SNR = ᾱ_t / (1 − ᾱ_t)


class SchedulePlot(pg.PlotWidget):
    """Three curves over the paper's t = 1..T, and two markers: the forward-process t and the chain's t."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumSize(180, 120)
        # The legend lives in the title: a LegendItem would sit on the curves of so small a plot.
        legend = "&nbsp;&nbsp;".join(f"<span style='color:{c}'>━ {name}</span>" for name, c in CURVES)
        self.setTitle(f"log scale: {legend}", color="#333", size="9pt")
        self.setLabel("bottom", "t")
        self.setLogMode(x=False, y=True)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.getAxis("bottom").enableAutoSIPrefix(False)
        for axis in ("left", "bottom"):  # cached: moving a marker must not repaint the axes
            self.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.curves = [self.plot([], [], pen=pg.mkPen(colour, width=2)) for _, colour in CURVES]
        self.forward_marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555", width=1, style=Qt.PenStyle.DashLine))
        self.chain_marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#e8731a", width=2))
        for marker in (self.forward_marker, self.chain_marker):
            self.addItem(marker, ignoreBounds=True)
        self.chain_marker.hide()
        # ᾱ_T at the end of the chain: how close x_T is to pure noise, which the reverse chain starts from.
        self.abar_T_label = pg.TextItem(color="#d62728", anchor=(1, 1))
        self.addItem(self.abar_T_label, ignoreBounds=True)

    def set_schedule(self, schedule: NoiseSchedule) -> None:
        t = np.arange(1, schedule.T + 1)
        abar = schedule.alphas_cumprod.double().numpy()
        values = (schedule.betas.double().numpy(), abar, abar / (1.0 - abar))
        for curve, v in zip(self.curves, values, strict=True):
            curve.setData(t, np.maximum(v, FLOOR))
        self.setXRange(0, schedule.T, padding=0.01)
        self.setYRange(np.log10(FLOOR), 5, padding=0.02)
        self.abar_T_label.setText(f"ᾱ_T = {abar[-1]:.1e}")
        self.abar_T_label.setPos(schedule.T, np.log10(max(abar[-1], FLOOR)))

    def show_forward_t(self, t: int) -> None:
        self.forward_marker.setValue(t)

    def show_chain_t(self, t: int | None) -> None:
        """Mark the chain's timestep, or hide the mark (None)."""
        self.chain_marker.setVisible(t is not None)
        if t is not None:
            self.chain_marker.setValue(t)

    def values_at(self, t: int) -> list[float]:
        """The plotted β_t, ᾱ_t and SNR at the paper's t (for tests)."""
        return [float(curve.yData[t - 1]) for curve in self.curves]
