"""A 28 x 28 map of a per-pixel quantity (a probability, a surprise in nats) in colour, its range in the title."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.pixel_canvas import PixelCanvas

UNDEFINED = (0.82, 0.82, 0.82)  # NaN pixels: nothing to show there (already written, say)


class HeatView(PixelCanvas):
    """Values mapped through a colour map from ``low`` to ``high``; NaN shows light grey. Clickable as a canvas."""

    def __init__(self, title: str = "", colormap: str = "viridis", parent: QWidget | None = None) -> None:
        super().__init__(title, parent=parent)
        self.title = title
        self.colormap = pg.colormap.get(colormap)
        self.values: np.ndarray | None = None

    def set_values(self, values: np.ndarray, low: float, high: float, caption: str = "") -> None:
        """Show ``values`` (H, W); ``caption`` (e.g. the range's meaning) goes under the title."""
        self.values = np.asarray(values, dtype=np.float32)
        scaled = np.clip((np.nan_to_num(self.values, nan=low) - low) / max(high - low, 1e-12), 0.0, 1.0)
        rgb = self.colormap.map(scaled.ravel(), mode="float")[:, :3].reshape(*self.values.shape, 3)
        rgb[np.isnan(self.values)] = UNDEFINED
        self.set_image(rgb)
        text = f"{self.title}<br><span style='font-size:8pt'>{caption}</span>"
        if caption and text != self.label.text:  # the same caption: no relayout of the label (a scrub's frames)
            self.label.setText(text)
