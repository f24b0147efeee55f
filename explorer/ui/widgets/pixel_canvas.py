"""A 28 x 28 picture a user can point at: click a pixel, or draw on it with the mouse.

Shows a grey digit or an RGB picture (for overlays: a receptive field, a hidden region, a
marked pixel). With ``drawable`` on, a left-button drag inks pixels and a right-button drag
erases them, and ``drawn`` is emitted at the release; otherwise a click emits
``pixel_clicked(row, col)``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.image_view import ImageView

SIDE = 28


class PixelCanvas(ImageView):
    """An ImageView over a 28 x 28 grid that maps the mouse to pixels."""

    pixel_clicked = Signal(int, int)
    drawn = Signal()  # the user changed pixels (at the end of a stroke)

    def __init__(self, title: str = "", drawable: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.drawable = drawable
        self.pixels_drawn = np.zeros((SIDE, SIDE), dtype=np.float32)  # what the user draws on, if drawable
        self._stroke: float | None = None  # 1.0 inking, 0.0 erasing, None: no stroke under way

    def pixel_at(self, pos: QPoint) -> tuple[int, int] | None:
        """The (row, col) under a widget position, or None outside the picture."""
        point = self.image.mapFromScene(self.mapToScene(pos))
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= row < SIDE and 0 <= col < SIDE:
            return row, col
        return None

    def set_drawing(self, pixels: np.ndarray) -> None:
        """Start from ``pixels`` (28, 28) in [0, 1] (rounded to ink or paper) and show them."""
        self.pixels_drawn = np.asarray(pixels, dtype=np.float32).round().reshape(SIDE, SIDE).copy()
        self.set_image(self.pixels_drawn)

    def paint_at(self, row: int, col: int, value: float) -> None:
        """Ink (1) or erase (0) one pixel, with a softer neighbour so strokes are as thick as MNIST's."""
        self.pixels_drawn[row, col] = value
        if value:
            for dr, dc in ((0, 1), (1, 0)):
                r, c = row + dr, col + dc
                if r < SIDE and c < SIDE:
                    self.pixels_drawn[r, c] = 1.0
        self.set_image(self.pixels_drawn)

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        where = self.pixel_at(ev.position().toPoint())
        if where is None:
            super().mousePressEvent(ev)
            return
        if self.drawable and ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._stroke = 1.0 if ev.button() == Qt.MouseButton.LeftButton else 0.0
            self.paint_at(*where, self._stroke)
        elif ev.button() == Qt.MouseButton.LeftButton:
            self.pixel_clicked.emit(*where)
        ev.accept()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        if self._stroke is None:
            super().mouseMoveEvent(ev)
            return
        where = self.pixel_at(ev.position().toPoint())
        if where is not None:
            self.paint_at(*where, self._stroke)
        ev.accept()

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        if self._stroke is not None:
            self._stroke = None
            self.drawn.emit()
            ev.accept()
            return
        super().mouseReleaseEvent(ev)


def overlay(grey: np.ndarray, layers: list[tuple[np.ndarray, tuple[int, int, int], float]]) -> np.ndarray:
    """An RGB picture (28, 28, 3) in [0, 1]: ``grey`` under coloured masks, each (mask, rgb 0-255, opacity)."""
    rgb = np.repeat(np.asarray(grey, dtype=np.float32)[..., None], 3, axis=2)
    for mask, colour, alpha in layers:
        tint = np.asarray(colour, dtype=np.float32) / 255.0
        rgb[mask] = (1 - alpha) * rgb[mask] + alpha * tint
    return rgb
