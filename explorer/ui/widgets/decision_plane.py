"""A 2-D plane: a discriminator's output as a heat map, with real and generated points over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.point_cloud import PointCloud

POINT_COLORS = ("#000000", "#ff7f0e")  # real, generated


class DecisionPlane(pg.PlotWidget):
    """D(x) over a square as a diverging heat map (white where D cannot tell, D = 1/2), real
    points in black and G's points in orange; every item is created once and updated in place."""

    def __init__(self, extent: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        # The legend lives in the title, and the points in one PointCloud: pyqtgraph's
        # ScatterPlotItem was slow to set and paint 1,024 points four times a second (docs/measurements.md).
        # A short title: the plot is at least as wide as its title, and a wider one hides the colour bar.
        self.setTitle(
            "D(x) behind <span style='color:#000'>●</span> real x and "
            "<span style='color:#ff7f0e'>●</span> generated G(z)",
            color="#333",
            size="10pt",
        )
        self.setLabel("bottom", "x₁")
        self.setLabel("left", "x₂")
        self.setAspectLocked(True)
        self.extent = extent
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.heat)
        colors = pg.colormap.get("CET-D1A")
        self.colorbar = pg.ColorBarItem(
            values=(0.0, 1.0), colorMap=colors, label="D(x): probability of real", interactive=False, width=15
        )
        self.colorbar.setImageItem(self.heat, insert_in=self.getPlotItem())
        self.points = PointCloud(POINT_COLORS, size=4, alpha=180)
        self.points.setCacheMode(PointCloud.CacheMode.NoCache)  # new points at every snapshot
        self.addItem(self.points)
        self.disableAutoRange()
        self.setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.02)

    def set_heatmap(self, heat: np.ndarray) -> None:
        """(H, W) D(x) on a grid from -extent to extent; row i at y_i and column j at x_j, both increasing.

        The grid's values sit at pixel centres, so the image reaches half a pixel beyond the extent.
        """
        rows, cols = heat.shape
        half_x, half_y = self.extent / (cols - 1), self.extent / (rows - 1)
        self.heat.setImage(np.ascontiguousarray(heat, dtype=np.float32), levels=(0.0, 1.0), autoLevels=False)
        self.heat.setRect(
            QRectF(-self.extent - half_x, -self.extent - half_y, 2 * (self.extent + half_x), 2 * (self.extent + half_y))
        )

    def blank(self) -> None:
        """No heat map and no points (not ``clear``: PlotWidget's removes every item)."""
        self.heat.clear()
        self.set_points(None, None)

    def set_points(self, real: np.ndarray | None, fake: np.ndarray | None) -> None:
        """(N, 2) real and generated points (None leaves that set empty); the generated ones on top."""
        sets = [
            np.zeros((0, 2)) if points is None else np.asarray(points, dtype=float).reshape(-1, 2)
            for points in (real, fake)
        ]
        self.points.set_points(np.concatenate(sets), np.repeat([0, 1], [len(sets[0]), len(sets[1])]))

    def point_counts(self) -> tuple[int, int]:
        """How many real and generated points are shown (for tests)."""
        labels = self.points.labels()
        return int((labels == 0).sum()), int((labels == 1).sum())

    def heatmap_rect(self) -> QRectF:
        """The area the heat map covers, in data coordinates (for tests)."""
        return self.heat.mapRectToView(self.heat.boundingRect())
