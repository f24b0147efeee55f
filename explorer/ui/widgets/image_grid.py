"""A grid of digits; clicking one selects it and draws a box round it."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from explorer.ui.widgets.image_view import ImageView

GAP = 2  # pixels between digits
GAP_VALUE = 0.35  # grey, so black digits stay separate


def grid_columns(n: int) -> int:
    """Columns of a near-square grid of n digits."""
    return max(1, math.ceil(math.sqrt(n)))


def tile(images: np.ndarray, columns: int, gap: int = GAP) -> np.ndarray:
    """(n, h, w) digits in [0, 1] -> one (rows (h+gap) - gap, cols (w+gap) - gap) picture, row-major order."""
    n, h, w = images.shape
    rows = math.ceil(n / columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), GAP_VALUE, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = images[i]
    return out


class ImageGrid(ImageView):
    """Shows n digits tiled; emits ``clicked(index)`` for a click on a digit."""

    clicked = Signal(int)

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.n = 0
        self.columns = 1
        self.box = QGraphicsRectItem()
        self.box.setPen(pg.mkPen("#e8731a", width=3, cosmetic=True))
        self.box.setZValue(5)
        self.box.hide()
        self.view.addItem(self.box)
        self.scene().sigMouseClicked.connect(self._on_clicked)

    def set_images(self, images: np.ndarray) -> None:
        """(n, 28, 28) digits in [0, 1]."""
        self.n = len(images)
        self.columns = grid_columns(self.n)
        self.set_image(tile(images, self.columns))

    def blank(self) -> None:
        """No digits (clicks select nothing) and no picture, until the next ``set_images``."""
        self.n = 0
        self.select(None)
        super().blank()

    def cell_centre(self, index: int) -> QPointF:
        """Centre of digit ``index`` in image coordinates."""
        r, c = divmod(index, self.columns)
        return QPointF(c * (28 + GAP) + 14, r * (28 + GAP) + 14)

    def index_at(self, x: float, y: float) -> int | None:
        """The digit under image coordinates (x, y), or None (a gap, or outside)."""
        c, cx = divmod(math.floor(x), 28 + GAP)
        r, ry = divmod(math.floor(y), 28 + GAP)
        index = r * self.columns + c
        if x < 0 or y < 0 or cx >= 28 or ry >= 28 or c >= self.columns or index >= self.n:
            return None
        return index

    def select(self, index: int | None) -> None:
        """Box digit ``index`` (None: no box)."""
        self.box.setVisible(index is not None)
        if index is not None:
            r, c = divmod(index, self.columns)
            self.box.setRect(c * (28 + GAP) - 1, r * (28 + GAP) - 1, 30, 30)

    def _on_clicked(self, event) -> None:
        if not self.n:
            return
        pos = self.image.mapFromScene(event.scenePos())
        index = self.index_at(pos.x(), pos.y())
        if index is not None:
            self.clicked.emit(index)
