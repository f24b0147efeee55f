"""The GAN panel's live dashboard: both players' losses, D's outputs, their histogram, and the digits G draws."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from explorer.core.gan import CLASS_SAMPLES, HIST_BINS, GANSnapshot
from explorer.core.gan.theory import equilibrium_d_loss, equilibrium_output
from explorer.ui.widgets.class_histogram import ClassHistogram
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.histogram_plot import HistogramPlot

REAL, FAKE = "#1f77b4", "#ff7f0e"


def legend_title(text: str, curves: tuple[tuple[str, str], ...]) -> str:
    """A title that is the plot's legend too ("losses: ━ D ━ G", each name in its curve's colour): a legend box
    inside the plot covers the curves where they run."""
    return f"{text}: " + "  ".join(f"<span style='color:{color}'>━ {name}</span>" for name, color in curves)


LOSSES = legend_title("losses", (("D", REAL), ("G", FAKE)))
OUTPUTS = legend_title("D's mean outputs", (("D(x)", REAL), ("D(G(z))", FAKE)))
HISTOGRAM = legend_title("D on its last batch", (("D(x)", REAL), ("D(G(z))", FAKE)))
NO_HISTORY = {LOSSES: "losses: no recorded history", OUTPUTS: "D's outputs: no recorded history"}
ITERATION = "iteration (G steps)"
LAST_RUN = "iteration (G steps) of its last run"
MIN_WIDTH = 300  # each plot's title, axes and ticks read whole, on the smallest window too


class ProbabilityPlot(CurvePlot):
    """Curves of probabilities: y stays on [0, 1], so a new point never re-ranges (repaints) the axes."""

    def __init__(self, title: str, x_label: str, y_label: str, parent: QWidget | None = None) -> None:
        super().__init__(title, x_label, y_label, parent)
        self.setYRange(0.0, 1.0, padding=0.02)

    def _fit_y(self) -> None:
        pass


class GamePlots(QWidget):
    """Four plots in a column; dashed lines mark the equilibrium (D's loss 2 log 2, D's outputs 1/2, or where
    label smoothing moves them).
    ``classes`` is the live mode-collapse meter of the MNIST game."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.losses = CurvePlot(LOSSES, ITERATION, "nats")
        self.losses.add_curve("D loss", REAL)
        self.losses.add_curve("G loss", FAKE)
        dashed = pg.mkPen("#999", style=Qt.PenStyle.DashLine)
        self.loss_equilibrium = pg.InfiniteLine(equilibrium_d_loss(), angle=0, pen=dashed)
        self.losses.addItem(self.loss_equilibrium)
        self.outputs = ProbabilityPlot(OUTPUTS, ITERATION, "probability of real")
        self.outputs.add_curve("D(x)", REAL)
        self.outputs.add_curve("D(G(z))", FAKE)
        self.output_equilibrium = pg.InfiniteLine(equilibrium_output(), angle=0, pen=dashed)
        self.outputs.addItem(self.output_equilibrium)
        self.histogram = HistogramPlot(HISTOGRAM, "D(·)", HIST_BINS)
        self.histogram.add_histogram("D(x), real", REAL)
        self.histogram.add_histogram("D(G(z)), fake", FAKE)
        self.classes = ClassHistogram(f"digits G draws ({CLASS_SAMPLES} fixed z, classified)")
        self.setMinimumWidth(MIN_WIDTH)
        plots = QVBoxLayout(self)
        plots.setContentsMargins(0, 0, 0, 0)
        for plot in (self.losses, self.outputs, self.histogram, self.classes):
            plot.getAxis("left").enableAutoSIPrefix(False)  # probabilities, not "x0.001" thousandths
            plots.addWidget(plot, 1)
        self.losses.names_curves = self.outputs.names_curves = False  # their titles name the curves
        self.histogram.legend.hide()  # as its title does

    def set_smoothing(self, smoothing: float) -> None:
        """Move the dashed lines to the equilibrium of a game with one-sided label smoothing s:
        D = (1 − s) / 2 and D's loss there (2 log 2 and 1/2 without smoothing)."""
        self.loss_equilibrium.setValue(equilibrium_d_loss(smoothing))
        self.output_equilibrium.setValue(equilibrium_output(smoothing))

    def add_points(self, snap: GANSnapshot, previous: GANSnapshot | None) -> None:
        """Record ``snap``'s values on the curves (drawn at their next redraw); a net's values are
        new only when it has been stepped since the ``previous`` snapshot."""
        points = []
        if previous is None or snap.d_steps != previous.d_steps:
            points += [
                (self.losses, "D loss", snap.d_loss),
                (self.outputs, "D(x)", snap.d_real),
                (self.outputs, "D(G(z))", snap.d_fake),
            ]
        if previous is None or snap.step != previous.step:
            points.append((self.losses, "G loss", snap.g_loss))
        for plot, name, value in points:
            if math.isfinite(value):  # NaN: that net has not been stepped yet
                plot.add_point(name, snap.step, value)

    def show_history(self, history: list[dict[str, float]] | None, steps: int, first_step: int = 0) -> None:
        """Plot a checkpoint's recorded means over its last run's ``steps`` iterations, counted after the
        ``first_step`` of its earlier runs; an empty record: the titles say so; None (no checkpoint): empty plots."""
        xs = [first_step + h["step"] for h in history or []]
        for plot, title, curves in (
            (self.losses, LOSSES, (("D loss", "d_loss"), ("G loss", "g_loss"))),
            (self.outputs, OUTPUTS, (("D(x)", "d_real"), ("D(G(z))", "d_fake"))),
        ):
            plot.clear_data()
            for name, key in curves:
                plot.set_curve(name, xs, [h[key] for h in history or []])
            plot.setTitle(NO_HISTORY[title] if history == [] else title, color="#333", size="10pt")
            plot.set_x_span(max(first_step + steps, 1))
            plot.redraw()
            if first_step and xs:  # a continued run: its record over its own range, not squeezed into the end
                plot.setXRange(first_step, first_step + steps, padding=0.02)
            plot.setLabel("bottom", LAST_RUN if first_step and xs else ITERATION)

    def clear_curves(self) -> None:
        """Forget the curves' points (drawn at their next ``redraw``) and the titles' notes, for a new game."""
        for plot, title in ((self.losses, LOSSES), (self.outputs, OUTPUTS)):
            plot.clear_data()
            plot.setTitle(title, color="#333", size="10pt")
            plot.setLabel("bottom", ITERATION)

    def draw_histogram(self, snap: GANSnapshot | None) -> None:
        """D's outputs on ``snap``'s last D batch, real and fake (None: empty)."""
        empty = np.zeros(HIST_BINS)
        self.histogram.set_counts("D(x), real", empty if snap is None else snap.d_real_hist)
        self.histogram.set_counts("D(G(z)), fake", empty if snap is None else snap.d_fake_hist)
