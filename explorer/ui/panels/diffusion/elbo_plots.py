"""The ELBO section's two plots: the two Gaussians of one pixel at one t, and the bound's terms against t."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QWidget

from explorer.core.diffusion.elbo import BIN
from explorer.core.diffusion.elbo_trace import BoundTrace

Q_COLOUR, P_COLOUR, X0_COLOUR, XT_COLOUR = "#1f77b4", "#d62728", "#2ca02c", "#777777"
TERM_COLOUR, MSE_COLOUR, ENDS_COLOUR = "#1f77b4", "#ff7f0e", "#9467bd"
FLOOR = 1e-6  # the smallest term the log axis shows (a KL may be all but 0 near t = T)


def _legend(*items: tuple[str, str]) -> str:
    """A legend in the title, as on the schedule plot: a LegendItem would sit on the curves."""
    return "&nbsp;&nbsp;".join(f"<span style='color:{colour}'>━ {text}</span>" for colour, text in items)


def gaussian(x: np.ndarray, mean: float, var: float) -> np.ndarray:
    return np.exp(-0.5 * (x - mean) ** 2 / var) / math.sqrt(2 * math.pi * var)


class GaussianPlot(pg.PlotWidget):
    """q(x_{t-1} | x_t, x_0) and p_theta(x_{t-1} | x_t) at one pixel as two densities, x_0 and x_t marked. At t = 1 q
    is x_0 itself: its bin, of width 2/255, is shaded, and the term is p_theta's mass outside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumSize(200, 130)
        self.setLabel("bottom", "x_{t−1} at the pixel")
        self.getAxis("bottom").enableAutoSIPrefix(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.getAxis("left").setStyle(showValues=False)
        self.q_curve = self.plot([], [], pen=pg.mkPen(Q_COLOUR, width=2), fillLevel=0, brush=(31, 119, 180, 40))
        self.p_curve = self.plot([], [], pen=pg.mkPen(P_COLOUR, width=2), fillLevel=0, brush=(214, 39, 40, 40))
        self.x0_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(X0_COLOUR, width=1))
        self.xt_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(XT_COLOUR, width=1, style=Qt.PenStyle.DashLine))
        self.bin = pg.LinearRegionItem(movable=False, brush=(44, 160, 44, 70), pen=pg.mkPen(None))
        for item in (self.x0_line, self.xt_line, self.bin):
            self.addItem(item, ignoreBounds=True)
        self.setTitle(
            _legend((Q_COLOUR, "q(x_{t−1} | x_t, x_0)"), (X0_COLOUR, "x_0"))
            + "<br>"
            + _legend((P_COLOUR, "p_θ(x_{t−1} | x_t)"), (XT_COLOUR, "x_t, dashed")),
            size="8pt",
        )

    def show_pair(self, x0: float, x_t: float, q_mean: float, q_var: float, p_mean: float, p_var: float) -> None:
        """Draw both densities over a range that holds them (q_var = 0: q is the point x_0, its bin shaded)."""
        spread = 4 * math.sqrt(max(q_var, p_var))
        low = min(q_mean, p_mean) - spread
        high = max(q_mean, p_mean) + spread
        if q_var == 0:
            low, high = min(low, x0 - 3 * BIN), max(high, x0 + 3 * BIN)
        xs = np.linspace(low, high, 400)
        p = gaussian(xs, p_mean, p_var)
        self.p_curve.setData(xs, p)
        self.bin.setVisible(q_var == 0)
        if q_var == 0:
            self.q_curve.setData([], [])
            # The end bins reach to -inf and +inf (Ho et al. section 3.3).
            self.bin.setRegion((low if x0 < -1 + 1e-3 else x0 - BIN, high if x0 > 1 - 1e-3 else x0 + BIN))
            top = float(p.max())
        else:
            q = gaussian(xs, q_mean, q_var)
            self.q_curve.setData(xs, q)
            top = float(max(p.max(), q.max()))
        self.x0_line.setValue(x0)
        self.xt_line.setValue(x_t)
        self.setXRange(low, high, padding=0)
        self.setYRange(0, top * 1.08, padding=0)

    def curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The densities now drawn, by name (for tests)."""
        return {name: item.getData() for name, item in (("q", self.q_curve), ("p", self.p_curve))}


class TermsPlot(pg.PlotWidget):
    """L_{t-1} against t on a log axis, with L_0 at t = 1 and L_T at t = T, and the eps-objective's unweighted term
    ||eps - eps_theta||^2 beside them; a line marks the chosen t, and dragging it chooses another."""

    t_dragged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumSize(200, 130)
        self.setLogMode(x=False, y=True)
        self.setLabel("bottom", "t")
        self.setLabel("left", "nats")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.showGrid(x=False, y=True, alpha=0.2)
        self.setTitle(
            _legend((TERM_COLOUR, "L_{t−1}"), (MSE_COLOUR, "‖ε − ε_θ‖² (L_simple)"))
            + "<br><span style='color:"
            + ENDS_COLOUR
            + "'>● L_0 at t = 1, L_T at t = T</span>",
            size="8pt",
        )
        self.term_curve = self.plot([], [], pen=pg.mkPen(TERM_COLOUR, width=1), connect="finite")
        self.mse_curve = self.plot([], [], pen=pg.mkPen(MSE_COLOUR, width=1), connect="finite")
        self.ends = self.plot([], [], pen=None, symbol="o", symbolSize=7, symbolBrush=ENDS_COLOUR, symbolPen=None)
        self.t_line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#333", width=1))
        self.t_line.sigPositionChanged.connect(self._on_line_moved)
        self.addItem(self.t_line, ignoreBounds=True)
        self._T = 1
        self.shown: dict[str, np.ndarray] = {}  # the terms drawn, before the floor of the log axis

    def show_trace(self, trace: BoundTrace | None) -> None:
        """Plot what ``trace`` holds so far (None: nothing)."""
        self.shown = {}
        if trace is None:
            for item in (self.term_curve, self.mse_curve, self.ends):
                item.setData([], [])
            return
        T = len(trace.term)
        self._T = T
        ends = np.array([trace.term[0], trace.prior]) if trace.done[0] else np.array([trace.prior])
        self.shown = {"steps": trace.term[1:].copy(), "ends": ends, "eps_mse": trace.eps_mse.copy()}
        self.term_curve.setData(np.arange(2, T + 1, dtype=float), np.maximum(self.shown["steps"], FLOOR))
        self.mse_curve.setData(np.arange(1, T + 1, dtype=float), np.maximum(self.shown["eps_mse"], FLOOR))
        self.ends.setData([1.0, float(T)][-len(ends) :], np.maximum(ends, FLOOR))
        self.setXRange(1, T, padding=0.02)
        values = np.concatenate([trace.term[trace.done], trace.eps_mse[trace.done], [trace.prior]])
        values = np.maximum(values, FLOOR)
        self.setYRange(np.log10(values.min()) - 0.2, np.log10(values.max()) + 0.2, padding=0)

    def mark(self, t: int) -> None:
        """Move the line to the paper's ``t`` (no t_dragged signal)."""
        with QSignalBlocker(self.t_line):
            self.t_line.setValue(t)

    def plotted_sum(self) -> float:
        """The sum of every term drawn, L_T + the L_{t-1} + L_0 (for tests: the bound printed must equal it)."""
        if not self.shown:
            return math.nan
        return float(np.nansum(self.shown["steps"]) + self.shown["ends"].sum())

    def _on_line_moved(self) -> None:
        t = round(self.t_line.value())
        self.t_dragged.emit(min(max(t, 1), self._T))
