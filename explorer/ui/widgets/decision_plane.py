"""A 2-D plane: a discriminator's output as a heat map, with real and generated points over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget


class DecisionPlane(pg.PlotWidget):
    """D(x) over a square as a diverging heat map (white where D cannot tell, D = 1/2), real
    points in black and G's points in orange; every item is created once and updated in place."""

    def __init__(self, extent: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setTitle("toy game: D(x) behind real and generated points", color="#333", size="10pt")
        self.setLabel("bottom", "x₁")
        self.setLabel("left", "x₂")
        self.setAspectLocked(True)
        self.extent = extent
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.heat)
        colors = pg.colormap.get("CET-D1A")
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colors, label="D(x): probability of real",
                                        interactive=False, width=15)
        self.colorbar.setImageItem(self.heat, insert_in=self.getPlotItem())
        self.addLegend(offset=(5, 5), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 200))
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(0, 0, 0, 150), name="real x (ring of 8 Gaussians)")
        self.fake = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(255, 127, 14, 200), name="generated G(z)")
        self.addItem(self.real)
        self.addItem(self.fake)
        self.disableAutoRange()
        self.setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.02)

    def set_heatmap(self, heat: np.ndarray) -> None:
        """(H, W) D(x) on a grid from -extent to extent; row i at y_i and column j at x_j, both increasing.

        The grid's values sit at pixel centres, so the image reaches half a pixel beyond the extent.
        """
        rows, cols = heat.shape
        half_x, half_y = self.extent / (cols - 1), self.extent / (rows - 1)
        self.heat.setImage(np.ascontiguousarray(heat, dtype=np.float32), levels=(0.0, 1.0), autoLevels=False)
        self.heat.setRect(QRectF(-self.extent - half_x, -self.extent - half_y,
                                 2 * (self.extent + half_x), 2 * (self.extent + half_y)))

    def blank(self) -> None:
        """No heat map and no points (not ``clear``: PlotWidget's removes every item)."""
        self.heat.clear()
        self.set_points(None, None)

    def set_points(self, real: np.ndarray | None, fake: np.ndarray | None) -> None:
        """(N, 2) real and generated points (None leaves that set empty)."""
        for item, points in ((self.real, real), (self.fake, fake)):
            item.setData(pos=np.zeros((0, 2)) if points is None else np.asarray(points, dtype=float))

    def heatmap_rect(self) -> QRectF:
        """The area the heat map covers, in data coordinates (for tests)."""
        return self.heat.mapRectToView(self.heat.boundingRect())
