"""A bar chart of a discrete distribution whose bars the learner drags up and down."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QGraphicsItem, QWidget

MAX_CATEGORIES = 12
_BAR_WIDTH = 0.6
_GRIP_PX = 12
_TOP = 1.15  # the y range's top where the plot is tall enough: room for a label over a bar at 1


def style_light_plot(plot: pg.PlotItem) -> None:
    """Dark axes on a light background, a faint grid, no SI prefixes and no autoscale button.

    Each axis (its ticks, labels and grid lines) is kept as a picture in device pixels, redrawn only when its
    range or size changes: a dragged bar repaints the plot at every step, and replaying every axis's
    labels was most of that repaint."""
    plot.hideButtons()
    plot.showGrid(x=True, y=True, alpha=0.2)
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setTextPen("#333")
        plot.getAxis(axis).setPen("#888")
        plot.getAxis(axis).enableAutoSIPrefix(False)
        plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class _BarDragViewBox(pg.ViewBox):
    """A ViewBox that turns a left-button drag in a bar's column into new heights for that bar."""

    def __init__(self, editor: DistributionBarEditor) -> None:
        super().__init__(enableMenu=False)
        self._editor = editor
        self._index: int | None = None
        self.setMouseEnabled(x=False, y=False)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            self._index = self._editor.index_at(self.mapToView(ev.buttonDownPos()).x())
            if self._index is not None:
                self._editor.heldChanged.emit(True)
        if self._index is None:
            ev.ignore()
            return
        ev.accept()
        self._editor.valueDragged.emit(self._index, float(self.mapToView(ev.pos()).y()))
        if ev.isFinish():
            self._index = None
            self._editor.heldChanged.emit(False)

    def mouseClickEvent(self, ev) -> None:
        index = self._editor.index_at(self.mapToView(ev.pos()).x())
        if ev.button() != Qt.MouseButton.LeftButton or index is None:
            ev.ignore()
            return
        ev.accept()
        self._editor.valueDragged.emit(index, float(self.mapToView(ev.pos()).y()))


class DistributionBarEditor(pg.PlotWidget):
    """Bars p_1..p_K in [0, 1] with a grip on each top; emits valueDragged(index, new height), and
    heldChanged(True) before the first height of a drag, heldChanged(False) after its last (the mouse let go).

    The owner decides how the other bars rescale and calls ``set_values`` with the result.
    """

    valueDragged = Signal(int, float)
    heldChanged = Signal(bool)

    def __init__(self, name: str, colour: str, parent: QWidget | None = None) -> None:
        self._view = _BarDragViewBox(self)
        super().__init__(parent, viewBox=self._view)
        self._values = np.zeros(0)
        self._ticks_for = -1  # the number of bars the bottom axis's ticks were made for
        self.setBackground("w")
        plot = self.getPlotItem()
        plot.setTitle(
            f"<span style='color:{colour};font-size:11pt'><b>{name}</b></span>"
            "<span style='color:#555;font-size:9pt'>  — drag a bar top, the rest rescale to sum 1</span>"
        )
        style_light_plot(plot)
        plot.setLabel("left", name)
        plot.setLabel("bottom", "category")
        self._view.setYRange(0.0, _TOP, padding=0)
        self._bars = pg.BarGraphItem(x=[], height=[], width=_BAR_WIDTH, brush=pg.mkBrush(colour), pen=pg.mkPen("#333"))
        self._grips = pg.ScatterPlotItem(
            symbol="s", size=_GRIP_PX, brush=pg.mkBrush("w"), pen=pg.mkPen(colour, width=2)
        )
        self._labels = [pg.TextItem(color="#222", anchor=(0.5, 1.0)) for _ in range(MAX_CATEGORIES)]
        plot.addItem(self._bars)
        plot.addItem(self._grips)
        for label in self._labels:
            plot.addItem(label)
        self._view.sigResized.connect(self._place_labels)
        self.setCursor(Qt.CursorShape.SizeVerCursor)
        self.setToolTip(f"Drag a bar of {name} up or down (or click above it) to change its probability.")

    def values(self) -> np.ndarray:
        """The heights currently shown."""
        return self._values.copy()

    def set_values(self, values: np.ndarray) -> None:
        """Show these probabilities; the number of bars follows len(values). The same values as on show are
        not drawn again (a drag of one editor's bar leaves the other editor as it was)."""
        values = np.asarray(values, dtype=float)
        if values.shape == self._values.shape and np.array_equal(values, self._values):
            return
        self._values = values.copy()
        k = self._values.size
        x = np.arange(1, k + 1, dtype=float)
        self._bars.setOpts(x=x, height=self._values, width=_BAR_WIDTH)
        self._grips.setData(x=x, y=self._values)
        for i, label in enumerate(self._labels):
            label.setVisible(i < k)
            if i < k:
                label.setText(f"{self._values[i]:.3f}")
        self._place_labels()
        # New ticks redraw the axis: set them only when the number of bars changes, not at each drag step.
        if k != self._ticks_for:
            self._ticks_for = k
            self._view.setXRange(0.4, k + 0.6, padding=0)
            self.getPlotItem().getAxis("bottom").setTicks([[(float(i), str(i)) for i in range(1, k + 1)]])

    def _place_labels(self) -> None:
        """Each value just above its grip, a fixed number of pixels up; on a short plot the y range
        grows so that the label over a bar at 1 is not cut off by the title."""
        plot_px = max(self._view.height(), 1.0)
        above_px = _GRIP_PX / 2 + 1 + self._labels[0].textItem.boundingRect().height()
        room = 1.0 - above_px / plot_px  # the fraction of the height left for a bar at 1
        top = max(_TOP, 1.0 / room if room > 0.3 else 1.0 / 0.3)
        self._view.setYRange(0.0, top, padding=0)
        for i, value in enumerate(self._values):
            self._labels[i].setPos(i + 1.0, value + (_GRIP_PX / 2 + 1) * top / plot_px)

    def index_at(self, x: float) -> int | None:
        """The category (0-based) whose column contains data coordinate x, or None between bars."""
        i = round(x) - 1
        if 0 <= i < self._values.size and abs(x - (i + 1)) <= 0.5:
            return i
        return None

    def bar_top_viewport_pos(self, index: int, value: float | None = None) -> QPointF:
        """Viewport position of bar ``index`` at height ``value`` (default: its top), for tests and tours."""
        y = self._values[index] if value is None else value
        scene = self._view.mapViewToScene(QPointF(index + 1.0, float(y)))
        return QPointF(self.mapFromScene(scene))
