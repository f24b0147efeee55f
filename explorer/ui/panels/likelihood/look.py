"""What the Likelihood sections share: component colours, the formula label, and plots in the house look."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QCursor, QHelpEvent, QPainter, QPaintEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from explorer.ui.panels.divergences.style import KL_COLOUR, P_COLOUR, Q_COLOUR, fixed, transparent
from explorer.ui.panels.divergences.style import StyledPlot as _DivergencePlot
from explorer.ui.widgets.latent_plane import DIGIT_COLORS

COMPONENT_COLOURS = (*DIGIT_COLORS, "#393b79", "#637939")  # the digits' tab10, and two more for K up to 12
GAP_COLOUR = KL_COLOUR
ELBO_COLOUR = "#2ca02c"
LOGP_COLOUR = P_COLOUR

__all__ = [
    "COMPONENT_COLOURS",
    "ELBO_COLOUR",
    "GAP_COLOUR",
    "KL_COLOUR",
    "LOGP_COLOUR",
    "P_COLOUR",
    "Q_COLOUR",
    "BarTips",
    "FormulaLabel",
    "StyledPlot",
    "ellipse",
    "fixed",
    "grow_x_range",
    "keep_y_range",
    "num",
    "term",
    "transparent",
]


class StyledPlot(_DivergencePlot):
    """The Divergences tabs' light plot without its grid: a software-rendered alpha grid costs ~8 ms of a
    400×500 plot's ~12 ms repaint on a slow CPU, and a section repaints up to three plots per interaction;
    and without the finest level of ticks, whose layout is the dearest part of a change of range."""

    def __init__(self, title: str, left: str, bottom: str) -> None:
        super().__init__(title, left, bottom)
        self.getPlotItem().showGrid(x=False, y=False)
        for axis in ("left", "bottom"):  # major and minor ticks, not the third, finest level: a new range's
            self.getPlotItem().getAxis(axis).setStyle(maxTickLevel=1)  # ticks cost a third less to lay out


def keep_y_range(plot: StyledPlot, low: float, high: float, shrink: bool = True, floor: float | None = None) -> None:
    """Show [low, high] on ``plot``'s y axis, changing the view only when the span leaves it or (``shrink``)
    fills less than 40 % of it (never below ``floor``): a new range repaints the axis's ticks, the dearest part of a repaint, so
    a new view leaves a quarter of the span free on either side for the next values to move in."""
    view_low, view_high = plot.viewRange()[1]
    span = max(high - low, 1e-9)
    auto = plot.getPlotItem().vb.state["autoRange"][1]  # still fitting y to the data: a new range every change
    if auto or low < view_low or high > view_high or (shrink and span < 0.4 * (view_high - view_low)):
        margin = 0.25 * span
        bottom = low - margin if floor is None else max(floor, low - margin)  # a density's axis starts at 0
        plot.setYRange(bottom, high + margin, padding=0)


def grow_x_range(plot: StyledPlot, last: float, least: float) -> None:
    """Show steps 0..``last`` on ``plot``'s x axis in spans that double (``least``, 2·least, 4·least …), so
    a growing curve changes the axis, and so repaints its ticks, a handful of times instead of every step."""
    span = least * 2.0 ** max(0, math.ceil(math.log2(max(last, 1.0) / least)))
    low, high = plot.viewRange()[0]
    if abs(high - low - 1.04 * span) > 1e-6 * span:  # padding 0.02 on either side
        plot.setXRange(0, span, padding=0.02)


def num(x: float | None, decimals: int = 3) -> str:
    """A live number beside a symbol: fixed decimals, ∞ and – (not defined yet) spelled out."""
    if x is None:
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return fixed(x, decimals).replace("-", "−")


class FormulaLabel(QWidget):
    """Rich text that writes an equation with each term's live value beside it, in a box of ``lines`` lines.

    Not a QLabel: a label's ``setText`` re-lays out its window (``updateGeometry``), which repaints every
    widget of the section at every new number and cost more than the plots' own updates. Here new text
    only repaints this box; ``needed_height()`` says whether the text fits (the layout tests check it)."""

    def __init__(self, lines: int, text: str = "") -> None:
        super().__init__()
        self._html = ""
        self._doc = QTextDocument()
        self._doc.setDefaultFont(self.font())
        self._doc.setDocumentMargin(2)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(lines * (self.fontMetrics().lineSpacing() + 1) + 6)
        self.setText(text)

    def text(self) -> str:
        return self._html

    def setText(self, html: str) -> None:
        self._html = html
        self._doc.setHtml(html)
        self.update()

    def needed_height(self) -> float:
        """The height the text needs at the present width."""
        self._doc.setTextWidth(self.width())
        return self._doc.size().height()

    def tooltip_at(self, pos: QPoint) -> str:
        """The tip of the term under ``pos`` (see ``term``), or "" where there is none."""
        self._doc.setTextWidth(self.width())
        at = self._doc.documentLayout().hitTest(QPointF(pos), Qt.HitTestAccuracy.ExactHit)
        if at < 0:
            return ""
        cursor = QTextCursor(self._doc)
        cursor.setPosition(min(at + 1, self._doc.characterCount() - 1))  # the format of the character at `at`
        return cursor.charFormat().toolTip()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tooltip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self._doc.setTextWidth(self.width())
        self._doc.drawContents(painter)


def term(symbol: str, tip: str, colour: str | None = None) -> str:
    """A formula's term that shows ``tip`` (what it is, with its live value) when the mouse rests on it."""
    style = f" style='color:{colour}'" if colour else ""
    return f"<span title='{html.escape(tip, quote=True)}'{style}>{symbol}</span>"


class BarTips:
    """Hover tips over the parts of a bar plot: rectangles in data coordinates, each with the text shown
    while the mouse is over it (a term of the decomposition with its live value). The section sets the
    rectangles at each repaint; a move of the mouse only looks them up."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.plot = plot
        self.regions: list[tuple[float, float, float, float, str]] = []  # x0, x1, y0, y1, text
        self.shown = ""
        plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def text_at(self, x: float, y: float) -> str:
        for x0, x1, y0, y1, text in self.regions:
            if x0 <= x <= x1 and min(y0, y1) <= y <= max(y0, y1):
                return text
        return ""

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        box = self.plot.getPlotItem().getViewBox()
        text = ""
        if box.sceneBoundingRect().contains(scene_pos):
            at = box.mapSceneToView(scene_pos)
            text = self.text_at(at.x(), at.y())
        if text != self.shown:
            self.shown = text
            self.plot.setToolTip(text)
            if text:
                QToolTip.showText(QCursor.pos(), text, self.plot)
            else:
                QToolTip.hideText()


def ellipse(mean: np.ndarray, cov: np.ndarray, radius: float = 2.0, points: int = 64) -> np.ndarray:
    """The contour at Mahalanobis distance ``radius`` of N(mean, cov): (points + 1, 2), closed."""
    angle = np.linspace(0, 2 * math.pi, points + 1)
    circle = np.stack([np.cos(angle), np.sin(angle)], 1) * radius
    return mean + circle @ np.linalg.cholesky(cov).T
