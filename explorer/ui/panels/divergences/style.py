"""The look the Divergences tabs share: colours, how a value is written, plots and sliders."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem
from superqt import QLabeledDoubleSlider

from explorer.core.divergence import Base
from explorer.ui.widgets.distribution_editor import style_light_plot

P_COLOUR = "#2f6fdf"
Q_COLOUR = "#e8731a"
KL_COLOUR = "#d62728"
NEGATIVE_COLOUR = "#2ca02c"
REVERSE_COLOUR = "#8e44ad"


def fixed(x: float, decimals: int = 3) -> str:
    """``x`` to ``decimals`` places, never "-0.000": a value that rounds to zero has no sign
    (the entropy of a certain outcome is −1·log 1 = −0.0 in floating point)."""
    text = f"{x:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def range_step(span: float) -> float:
    """The step a plot's y range is rounded out to: half a power of ten of its span. A dragged bar then
    moves the range, which redraws its axis, only when a value crosses a step, not at every pixel."""
    return 10 ** math.floor(math.log10(span)) / 2 if span > 0 and math.isfinite(span) else 1.0


def rounded_out(low: float, high: float) -> tuple[float, float]:
    """[low, high] widened outward to multiples of the range_step of its span."""
    step = range_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step


HELD_FILL = 0.25  # while a bar is held, a plot keeps its y range while the data fill at least this share of it


def held_range(shown: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    """The y range while a bar is held, for data (and their labels) in [low, high]: the range ``shown`` while it
    holds them and they fill at least HELD_FILL of it; else theirs with half their span to spare on each side
    (but not past ``shown`` on a side they did not leave), rounded out. A drag up and back then redraws an axis a
    few times, not at every range step it crosses, and the bars never shrink to nothing; the tight range comes
    back when the bar is let go. A range just fitted holds: the data fill more than a quarter of it."""
    a, b = shown
    if a <= low and high <= b and high - low >= HELD_FILL * (b - a):
        return shown
    spare = 0.5 * (high - low)
    lo = low - spare if low < a else max(a, low - spare)
    hi = high + spare if high > b else min(b, high + spare)
    return rounded_out(lo, hi)


def steady_left_axis(plot: pg.PlotItem, widest: str) -> None:
    """A left axis cheap to redraw when a dragged bar moves its range. It keeps room for tick labels as wide as
    ``widest`` and never gives it back: an axis that narrows or widens as its labels change moves the plot
    inside it, which redraws both its axes. And it draws ticks and grid lines at two levels, not three: the
    third, too faint to read on a bar chart, cost as much to draw as the rest of the plot."""
    axis = plot.getAxis("left")
    axis.textWidth = max(axis.textWidth, math.ceil(QFontMetricsF(axis.font()).horizontalAdvance(widest)) + 2)
    axis.setStyle(autoReduceTextSpace=False, maxTickLevel=1)  # and resizes the axis to the width above


def format_value(x: float, units: Base) -> str:
    """A divergence to 3 decimals with its units, or ∞."""
    return "∞" if math.isinf(x) else f"{fixed(x)} {units}"


def format_categories(categories: list[int]) -> str:
    """The categories that make a KL infinite, short enough for the table of values: "category 1, 2",
    "categories 2–12" for a longer run, else how many ("5 categories")."""
    if len(categories) <= 2:
        return "category " + ", ".join(str(c) for c in categories)
    if categories[-1] - categories[0] == len(categories) - 1:
        return f"categories {categories[0]}–{categories[-1]}"
    return f"{len(categories)} categories"


LONGEST_VALUE = "∞  (categories 10–12)"  # the widest text format_value and format_categories make


def transparent(colour: str, alpha: int) -> QColor:
    """The colour with the given alpha, for the filled areas under curves."""
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


def double_slider(lo: float, hi: float, value: float) -> QLabeledDoubleSlider:
    """A horizontal slider with its value shown to 2 decimals."""
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(lo, hi)
    slider.setDecimals(2)
    slider.setSingleStep(0.05)  # type: ignore[arg-type]  # superqt's stub: int
    slider.setValue(value)
    return slider


def cache_legend(plot: pg.PlotWidget) -> None:
    """Keep the legend of ``plot`` (every entry added) as a picture, redrawn only when it changes, not at each
    repaint of the curves under it (a slider's drag repaints the plot at every step)."""
    legend = plot.getPlotItem().legend
    items = [legend]
    while items:
        item = items.pop()
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        items.extend(item.childItems())


class StyledPlot(pg.PlotWidget):
    """A light plot with mouse zoom and menus off: the panel, not the learner, sets the view."""

    def __init__(self, title: str, left: str, bottom: str) -> None:
        super().__init__(background="w")
        item = self.getPlotItem()
        item.setTitle(f"<span style='color:#222;font-size:10pt'>{title}</span>")
        item.setLabel("left", left)
        item.setLabel("bottom", bottom)
        item.setMenuEnabled(False)
        style_light_plot(item)
        self.setMouseEnabled(x=False, y=False)
