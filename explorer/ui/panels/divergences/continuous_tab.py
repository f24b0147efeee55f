"""The Continuous tab: two 1-D densities, their KL integrands, and KL three ways, drawn from the panel's state."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from explorer.core.divergence import Base, StandardDraws, kl_gaussian, kl_integrand, kl_monte_carlo, kl_numeric
from explorer.core.divergence.view_state import ContinuousState
from explorer.ui.panels.divergences.area_fills import OverlappingAreas, area, over
from explorer.ui.panels.divergences.mixture_controls import MixtureControls
from explorer.ui.panels.divergences.style import (
    KL_COLOUR,
    P_COLOUR,
    Q_COLOUR,
    REVERSE_COLOUR,
    StyledPlot,
    cache_legend,
    fixed,
    format_value,
)

MC_SAMPLES = 10_000
# The trapezoid rule converges faster than any power of the step on these smooth, fast-decaying integrands:
# 4,001 points agree with 20,001 to 1e-13 relative (5,000 random pairs of mixtures, the sliders' extremes
# included), so the 3 decimals shown are the same, at an eighth of the cost of every slider step.
NUMERIC_POINTS = 4001
FILL = 0.6  # a view is re-ranged only when its data leave it or fill less than this share of it


def steady_range(current: tuple[float, float] | None, low: float, high: float) -> tuple[float, float]:
    """The range a view should show for data in [low, high]: the ``current`` one while the data stay inside
    and fill at least FILL of it, else the data's with a margin. A view whose range holds still repaints
    only its curves; a new range redraws its axis too, which costs more than the curves."""
    if current is not None:
        a, b = current
        if a <= low and high <= b and high - low >= FILL * (b - a):
            return current
    margin = 0.1 * max(high - low, 1e-9)
    return low - margin, high + margin


NO_CLOSED_FORM = "n/a — no closed form for mixtures"
# the widest values the table may show: KL reaches ~2,000 bits within the sliders' ranges
LONGEST_TEXTS = (NO_CLOSED_FORM, "−0000.000 ± 000.000 nats")
PIXELS_PER_POINT = 3  # a curve's segments stay within half a pixel of the true curve, even at σ's narrowest
MIN_POINTS, MAX_POINTS = 101, 401


def curve_points(width_px: int) -> int:
    """How many points a curve needs across a plot ``width_px`` wide: one every PIXELS_PER_POINT pixels,
    as fewer points cost less to draw on every slider step and the eye cannot tell them apart."""
    return min(max(width_px // PIXELS_PER_POINT + 1, MIN_POINTS), MAX_POINTS)


class ContinuousTab(QWidget):
    """Two 1-D densities, their KL integrands, and KL three ways: closed form, numeric, Monte Carlo; the sliders
    write ``state`` and every change of its densities or units redraws the tab."""

    ROWS = ("closed form", "numeric integral", "Monte Carlo")
    COLUMNS = ("KL(p‖q)", "KL(q‖p)")

    def __init__(self, parent: QWidget | None = None, *, state: ContinuousState | None = None) -> None:
        super().__init__(parent)
        self.state = state = state if state is not None else ContinuousState()
        self.p_controls = MixtureControls("p", P_COLOUR, state)
        self.q_controls = MixtureControls("q", Q_COLOUR, state)
        formula = QLabel(
            "<b>Closed form</b> for two Gaussians:<br>"
            "KL(N(μ<sub>p</sub>,σ<sub>p</sub>²)‖N(μ<sub>q</sub>,σ<sub>q</sub>²))<br>"
            "= log σ<sub>q</sub>/σ<sub>p</sub> "
            "+ (σ<sub>p</sub>² + (μ<sub>p</sub>−μ<sub>q</sub>)²)/(2σ<sub>q</sub>²) − ½<br>"
            "With q = N(0, 1): KL = ½(−log σ² + μ² + σ² − 1).<br>"
            f"Numeric: trapezoid rule on {NUMERIC_POINTS:,} points. Monte Carlo: mean of log p(x)/q(x), x ~ p."
        )
        formula.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.p_controls)
        left.addWidget(self.q_controls)
        left.addWidget(formula)
        left.addStretch(1)

        self.density_plot = StyledPlot("Densities p(x) and q(x)", "density", "x")
        self.density_plot.addLegend(offset=(-10, 10), labelTextColor="#222")
        self._density_areas = OverlappingAreas(self.density_plot, P_COLOUR, Q_COLOUR, alpha=50)
        self._p_curve = self.density_plot.plot(pen=pg.mkPen(P_COLOUR, width=2.5), name="p")
        self._q_curve = self.density_plot.plot(pen=pg.mkPen(Q_COLOUR, width=2.5), name="q")
        self.integrand_plot = StyledPlot("Integrands: the signed area under each curve is its KL", "", "x")
        self.integrand_plot.addLegend(offset=(-10, 10), labelTextColor="#222")
        self.integrand_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#555")))
        self._pq_area = area(over(KL_COLOUR, 60))
        self.integrand_plot.addItem(self._pq_area)
        self._pq_curve = self.integrand_plot.plot(pen=pg.mkPen(KL_COLOUR, width=2.5), name="p log p/q  → KL(p‖q)")
        self._qp_curve = self.integrand_plot.plot(
            pen=pg.mkPen(REVERSE_COLOUR, width=2, style=Qt.PenStyle.DashLine), name="q log q/p  → KL(q‖p)"
        )
        for plot in (self.density_plot, self.integrand_plot):
            cache_legend(plot)

        self.value_labels: dict[tuple[str, str], QLabel] = {}
        numbers = QGroupBox(f"KL three ways (Monte Carlo: {MC_SAMPLES:,} samples, fixed seed, ± 1 standard error)")
        grid = QGridLayout(numbers)
        for col, name in enumerate(self.COLUMNS, start=1):
            grid.addWidget(QLabel(f"<b>{name}</b>"), 0, col, alignment=Qt.AlignmentFlag.AlignRight)
        for row, name in enumerate(self.ROWS, start=1):
            grid.addWidget(QLabel(name), row, 0)
            for col, column in enumerate(self.COLUMNS, start=1):
                label = QLabel()
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                # A fixed size: a new value then asks for no relayout, which would repaint the whole tab
                # (every slider) at each step of a drag.
                metrics = label.fontMetrics()
                label.setFixedSize(
                    max(metrics.horizontalAdvance(text) for text in LONGEST_TEXTS) + 4, label.sizeHint().height()
                )
                grid.addWidget(label, row, col, alignment=Qt.AlignmentFlag.AlignRight)
                self.value_labels[(name, column)] = label
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)

        for plot in (self.density_plot, self.integrand_plot):  # a grid's lines cost more to paint than the curves
            plot.getPlotItem().showGrid(x=False, y=False)
        right = QVBoxLayout()
        right.addWidget(self.density_plot, 1)
        right.addWidget(self.integrand_plot, 1)
        right.addWidget(numbers)
        columns = QHBoxLayout(self)
        columns.addLayout(left, 3)
        columns.addLayout(right, 7)

        self._ranges: dict[str, tuple[float, float] | None] = dict.fromkeys(("x", "density", "integrand"))
        self._draws = StandardDraws.of(np.random.default_rng(0), MC_SAMPLES)  # common random numbers: every p, q
        self._label_integrands()
        state.changed.connect(self._on_state_changed)
        self._refresh()

    def set_units(self, units: Base) -> None:
        self.state.update(units=units)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "units" in names:
            self._label_integrands()
        if names & {"units", "continuous_p", "continuous_q"}:
            self._refresh()

    def _label_integrands(self) -> None:
        """The integrands' axis names the units; set when they change only, as a new label redraws the axis."""
        self.integrand_plot.getPlotItem().setLabel("left", f"{self.state.units} per unit x")

    def _refresh(self) -> None:
        p, q, u = self.state.continuous_p.mixture(), self.state.continuous_q.mixture(), self.state.units
        lo = min(p.span(4.0)[0], q.span(4.0)[0])
        hi = max(p.span(4.0)[1], q.span(4.0)[1])
        x_low, x_high = self._ranges["x"] = steady_range(self._ranges["x"], lo, hi)
        x = np.linspace(x_low, x_high, curve_points(self.density_plot.width()))
        p_pdf, q_pdf = p.pdf(x), q.pdf(x)
        pq, qp = kl_integrand(p, q, x, u), kl_integrand(q, p, x, u)
        self._density_areas.set_data(x, p_pdf, q_pdf)
        self._p_curve.setData(x, p_pdf)
        self._q_curve.setData(x, q_pdf)
        self._pq_area.setData(x, pq)
        self._pq_curve.setData(x, pq)
        self._qp_curve.setData(x, qp)
        finite = np.concatenate([pq[np.isfinite(pq)], qp[np.isfinite(qp)], [0.0]])
        for plot, key, low, high in (
            (self.density_plot, "density", 0.0, float(max(p_pdf.max(), q_pdf.max()))),
            (self.integrand_plot, "integrand", float(finite.min()), float(finite.max())),
        ):
            before = self._ranges[key]
            y_range = self._ranges[key] = steady_range(before, low, high)
            if y_range != before:
                plot.setYRange(*y_range, padding=0)
            plot.setXRange(x_low, x_high, padding=0)
        for column, (a, b) in zip(self.COLUMNS, ((p, q), (q, p)), strict=True):
            if a.is_single and b.is_single:
                closed = format_value(kl_gaussian(*a.single(), *b.single(), base=u), u)
            else:
                closed = NO_CLOSED_FORM
            mc = kl_monte_carlo(a, b, self._draws, MC_SAMPLES, u)
            self.value_labels[("closed form", column)].setText(closed)
            self.value_labels[("numeric integral", column)].setText(
                format_value(kl_numeric(a, b, n=NUMERIC_POINTS, base=u), u)
            )
            self.value_labels[("Monte Carlo", column)].setText(f"{fixed(mc.estimate)} ± {fixed(mc.stderr)} {u}")
