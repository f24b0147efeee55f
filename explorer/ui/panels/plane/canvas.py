"""The lab's one canvas: a heat map and a field of arrows underneath, the data, the particles and their
trails on top, with a shared pan / zoom, and a brush that draws points with the mouse.

Every item is made once and updated with ``setData`` / ``setImage`` (STYLE.md 5): 2,000 particles are
one ScatterPlotItem, the arrows one line item with ``connect='pairs'``, the trails one with NaN breaks.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, Signal, SignalInstance
from PySide6.QtWidgets import QGraphicsItem

from explorer.core.plane.data import BOX

# log p_σ from white (empty plane) through pale blue to deep blue (the data's mass), under dark points.
HEAT_OPACITY = 0.85
# The map is opaque, its colours blended with the white background beforehand: Qt draws an opaque image
# several times faster than one it has to blend pixel by pixel, on every repaint.
HEAT = pg.ColorMap(
    [0.0, 0.55, 1.0],
    [
        tuple(round(HEAT_OPACITY * c + (1 - HEAT_OPACITY) * 255) for c in colour)
        for colour in ((255, 255, 255), (200, 222, 245), (70, 120, 200))
    ],
)


class BrushSignals(QObject):
    """What the brush did: a stroke at (x, y), erasing (right button) or adding (left)."""

    stroke = Signal(float, float, bool)


class DrawingViewBox(pg.ViewBox):
    """A ViewBox whose mouse draws instead of panning while ``drawing`` is on (the wheel still zooms)."""

    def __init__(self) -> None:
        super().__init__()
        self.drawing = False
        self.signals = BrushSignals()

    def _stroke(self, ev: object, button: Qt.MouseButton) -> None:
        point = self.mapSceneToView(ev.scenePos())  # type: ignore[attr-defined]
        self.signals.stroke.emit(point.x(), point.y(), button == Qt.MouseButton.RightButton)

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:
        if not self.drawing:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()  # type: ignore[attr-defined]
        self._stroke(ev, ev.button())  # type: ignore[attr-defined]

    def mouseClickEvent(self, ev: object) -> None:
        if not self.drawing:
            super().mouseClickEvent(ev)
            return
        ev.accept()  # type: ignore[attr-defined]
        self._stroke(ev, ev.button())  # type: ignore[attr-defined]


class PlaneCanvas(pg.PlotWidget):
    """The plane [-BOX, BOX]², square pixels, everything drawn in the data's own coordinates."""

    def __init__(self, parent: object = None) -> None:
        self.box = DrawingViewBox()
        super().__init__(parent, viewBox=self.box, background="w")
        self.setAspectLocked(True)
        self.setRange(xRange=(-BOX, BOX), yRange=(-BOX, BOX), padding=0.02)
        self.showGrid(x=False, y=False)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setColorMap(HEAT)
        self.addItem(self.heat)
        self.arrows = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(30, 30, 60, 200, width=1), antialias=False)
        self.heads = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(30, 30, 60, 220))
        self.data = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(60, 60, 60, 80))
        self.strokes = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(60, 60, 60, 80))  # the data's latest
        self.trails = pg.PlotDataItem(connect="finite", pen=pg.mkPen(220, 90, 20, 190, width=1), antialias=False)
        self.particles = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(214, 39, 40, 200))
        self.brush_ring = pg.PlotDataItem(pen=pg.mkPen(20, 120, 200, 220, width=1.5))
        for item in (self.arrows, self.heads, self.data, self.strokes, self.trails, self.particles, self.brush_ring):
            self.addItem(item)
        self.heat.setZValue(-10)
        # The data (thousands of points) change far less often than the particles over them: kept as a
        # picture in device pixels, a scrub or a play tick repaints it as one image, not point by point. The
        # points a brush adds go to ``strokes``, so the picture of the rest survives the stroke.
        self.data.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.box.signals.stroke.connect(self._show_brush)
        self.brush_radius = 0.3
        self._data_shown = np.zeros((0, 2), np.float32)  # the points ``data`` and ``strokes`` show together

    @property
    def stroke(self) -> SignalInstance:
        return self.box.signals.stroke

    def set_drawing(self, on: bool) -> None:
        self.box.drawing = on
        self.box.setMenuEnabled(not on)
        self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if not on:
            self.brush_ring.setData([], [])

    def _show_brush(self, x: float, y: float, _erase: bool) -> None:
        angle = np.linspace(0, 2 * np.pi, 41)
        self.brush_ring.setData(x + self.brush_radius * np.cos(angle), y + self.brush_radius * np.sin(angle))

    def set_data_points(self, points: np.ndarray, visible: bool = True) -> None:
        """Show the data; points appended to those shown (a brush stroke) are added alone to ``strokes``,
        since pyqtgraph styles each spot in Python and a stroke would otherwise restyle every point and
        redraw the cached picture; any other change (an erasure, new data) draws them all in ``data`` again."""
        shown = points if visible else np.zeros((0, 2), np.float32)
        before = self._data_shown
        if 0 < len(before) < len(shown) and np.array_equal(shown[: len(before)], before):
            self.strokes.addPoints(pos=shown[len(before) :])
        else:
            self.data.setData(pos=shown)
            self.strokes.setData(pos=np.zeros((0, 2), np.float32))
        self._data_shown = shown

    def set_particles(self, points: np.ndarray | None) -> None:
        self.particles.setData(pos=np.zeros((0, 2)) if points is None else points)

    def set_trails(self, paths: np.ndarray | None) -> None:
        """Paths (F, K, 2) of K particles over F frames as polylines, broken apart by NaN."""
        if paths is None or paths.size == 0:
            self.trails.setData([], [])
            return
        k = paths.shape[1]
        lines = np.concatenate([paths.transpose(1, 0, 2), np.full((k, 1, 2), np.nan)], axis=1).reshape(-1, 2)
        self.trails.setData(lines[:, 0], lines[:, 1])

    def set_arrows(self, tails: np.ndarray | None, vectors: np.ndarray | None) -> None:
        """One arrow per tail (N, 2) along vectors (N, 2), drawn as line pairs with a dot at the head."""
        if tails is None or vectors is None:
            self.arrows.setData([], [])
            self.heads.setData(pos=np.zeros((0, 2)))
            return
        heads = tails + vectors
        pairs = np.stack([tails, heads], axis=1).reshape(-1, 2)
        self.arrows.setData(pairs[:, 0], pairs[:, 1])
        self.heads.setData(pos=heads)

    def set_heat(self, image: np.ndarray | None, extent: float) -> None:
        """A (H, W) image spanning [-extent, extent]², levels from its own range (set once per field)."""
        if image is None:
            self.heat.clear()
            return
        low, high = float(np.nanmin(image)), float(np.nanmax(image))
        self.heat.setImage(image.astype(np.float32), levels=(low, high if high > low else low + 1))
        self.heat.setRect(-extent, -extent, 2 * extent, 2 * extent)

    def view_point(self, x: float, y: float) -> QPointF:
        """The scene position of a data point (for tests that draw with the mouse)."""
        return self.box.mapViewToScene(QPointF(x, y))
