"""A scatter item fast enough to reset several times a second: many points in a few colours."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph import Qt as pg_qt
from pyqtgraph import functions as fn
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem

# Cached items are blitted from a pixmap instead of replaying every point at each repaint
# of something else (a marker dragged over them).
CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache


class PointCloud(pg.GraphicsObject):
    """Many points in a few colours, stamped from a pre-drawn dot per colour.

    pyqtgraph's ScatterPlotItem is slow to set many points of mixed colours and is asked for
    its bounds at every mouse move; this item sets them far faster (docs/measurements.md) and
    paints them with one ``drawPixmapFragments`` call, as ScatterPlotItem does internally.
    """

    clicked = Signal(int)  # index of the point clicked

    def __init__(self, colors: tuple[str, ...], size: int = 5, alpha: int = 170, pick_px: float = 6.0) -> None:
        super().__init__()
        self._size = size
        self._colors, self._alpha = colors, alpha
        self._atlas = self._draw_dots(colors, size, alpha, 1.0)
        self._fragments = pg_qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        self._xy = np.zeros((0, 2))
        self._source = np.zeros((0, 4))  # per point: the dot's rectangle in the atlas
        self._rect = QRectF()
        self._pick_px = pick_px
        self.setCacheMode(CACHED)

    @staticmethod
    def _draw_dots(colors: tuple[str, ...], size: int, alpha: int, ratio: float) -> QPixmap:
        """One dot of ``size`` logical pixels per colour, side by side, drawn at the device pixel ``ratio``."""
        atlas = QPixmap(math.ceil(size * len(colors) * ratio), math.ceil(size * ratio))
        atlas.setDevicePixelRatio(ratio)
        atlas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(atlas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, color in enumerate(colors):
            qcolor = pg.mkColor(color)
            qcolor.setAlpha(alpha)
            painter.setBrush(qcolor)
            painter.drawEllipse(QRectF(i * size + 0.5, 0.5, size - 1, size - 1))
        painter.end()
        return atlas

    def labels(self) -> np.ndarray:
        """Each point's colour index."""
        return (self._source[:, 0] // self._size).astype(int)

    def set_points(self, xy: np.ndarray, labels: np.ndarray) -> None:
        """(N, 2) positions, (N,) integer colour indices."""
        self.prepareGeometryChange()
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self._source = np.zeros((len(self._xy), 4))
        self._source[:, 0] = np.asarray(labels) * self._size
        self._source[:, 2:] = self._size
        low, high = (self._xy.min(axis=0), self._xy.max(axis=0)) if len(self._xy) else (np.zeros(2), np.zeros(2))
        self._rect = QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1])
        self.update()

    def boundingRect(self) -> QRectF:
        pad_x, pad_y = (self.pixelWidth() or 0.0) * self._size, (self.pixelHeight() or 0.0) * self._size
        return self._rect.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def paint(self, painter: QPainter, *args: object) -> None:
        if not len(self._xy):
            return
        ratio = painter.device().devicePixelRatioF()  # 2 on a high-DPI screen: dots drawn at 1 would go soft
        if ratio != self._atlas.devicePixelRatioF():
            self._atlas = self._draw_dots(self._colors, self._size, self._alpha, ratio)
        device = fn.transformCoordinates(painter.transform(), self._xy.T)  # (2, N) in logical pixels
        painter.resetTransform()
        self._fragments.resize(len(self._xy))
        fragments = self._fragments.ndarray()
        fragments[:, 0:2] = device.T  # centre of each dot
        fragments[:, 2:6] = self._source * ratio  # its dot in the atlas, in the atlas's own (device) pixels
        fragments[:, 6:10] = (
            1.0 / ratio,
            1.0 / ratio,
            0.0,
            1.0,
        )  # scale x, scale y (back to logical), rotation, opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._atlas)  # type: ignore[call-arg]  # pyqtgraph's
        # (pointer, count) form of the fragments, which PySide accepts and its stub does not list

    def mouseClickEvent(self, ev) -> None:
        """Emit the nearest point within a few pixels of the click."""
        if ev.button() != Qt.MouseButton.LeftButton or not len(self._xy):
            return
        pos = ev.pos()
        scale = np.array([self.pixelWidth() or 1.0, self.pixelHeight() or 1.0])
        distance = np.hypot(*((self._xy - (pos.x(), pos.y())) / scale).T)  # in pixels
        nearest = int(np.argmin(distance))
        if distance[nearest] <= self._pick_px:
            ev.accept()
            self.clicked.emit(nearest)
