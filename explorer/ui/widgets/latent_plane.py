"""The 2-D latent plane: the encoded test set coloured by digit, and a marker to drag."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

# A qualitative palette (matplotlib's tab10) so the ten digits stay distinguishable.
DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def ellipse(center: np.ndarray, radii: np.ndarray, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Points of the axis-aligned ellipse with the given centre and radii."""
    t = np.linspace(0, 2 * np.pi, n)
    return center[0] + radii[0] * np.cos(t), center[1] + radii[1] * np.sin(t)


class LatentPlane(pg.PlotWidget):
    """Scatter of posterior means, a draggable marker, and one selected posterior's sigma ellipses."""

    marker_moved = Signal(float, float)
    point_clicked = Signal(int)  # index into the encoded set

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setAspectLocked(True)
        self.showGrid(x=True, y=True, alpha=0.15)
        self.setLabel("bottom", "z₁")
        self.setLabel("left", "z₂")
        self.setTitle("Latent space: test digits encoded to their posterior mean μ(x)", color="#333", size="10pt")
        legend = self.addLegend(offset=(5, 5), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 200))
        legend.setColumnCount(5)
        self._scatters: list[pg.ScatterPlotItem] = []
        for digit, color in enumerate(DIGIT_COLORS):
            scatter = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(pg.mkColor(color).darker(100)),
                                         name=str(digit), hoverable=False)
            scatter.setOpacity(0.55)
            scatter.sigClicked.connect(self._on_scatter_clicked)
            self.addItem(scatter)
            self._scatters.append(scatter)
        self.grid_box = pg.PlotCurveItem(pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DotLine))
        self.addItem(self.grid_box)
        self.sigma_curves = [pg.PlotCurveItem(pen=pg.mkPen("#000", width=w)) for w in (2.5, 1.2)]
        for curve in self.sigma_curves:
            self.addItem(curve)
        self.selected = pg.ScatterPlotItem(size=12, symbol="o", pen=pg.mkPen("#000", width=2), brush=None)
        self.addItem(self.selected)
        self.marker = pg.TargetItem(pos=(0, 0), size=18, pen=pg.mkPen("#000", width=2),
                                    brush=pg.mkBrush(255, 215, 0, 220), symbol="o", movable=True)
        self.marker.setZValue(10)
        self.marker.sigPositionChanged.connect(self._on_marker_moved)
        self.addItem(self.marker)
        self._quiet = False

    def set_points(self, latents: np.ndarray, labels: np.ndarray) -> None:
        """Re-draw the scatter: (N, 2) posterior means with their (N,) digit labels."""
        for digit, scatter in enumerate(self._scatters):
            index = np.flatnonzero(labels == digit)
            scatter.setData(latents[index, 0], latents[index, 1], data=index)

    def set_marker(self, z1: float, z2: float) -> None:
        """Move the marker without emitting ``marker_moved``."""
        self._quiet = True
        try:
            self.marker.setPos(z1, z2)
        finally:
            self._quiet = False

    def marker_pos(self) -> tuple[float, float]:
        pos = self.marker.pos()
        return pos.x(), pos.y()

    def show_posterior(self, mu: np.ndarray, sigma: np.ndarray) -> None:
        """Outline q(z|x) = N(mu, diag sigma^2): its 1-sigma and 2-sigma ellipses."""
        for k, curve in enumerate(self.sigma_curves, start=1):
            curve.setData(*ellipse(mu, k * sigma))
        self.selected.setData([mu[0]], [mu[1]])

    def show_grid_extent(self, low: float, high: float) -> None:
        """Dotted square: the part of the plane that the manifold view decodes."""
        self.grid_box.setData([low, high, high, low, low], [low, low, high, high, low])

    def _on_marker_moved(self) -> None:
        if not self._quiet:
            self.marker_moved.emit(*self.marker_pos())

    def _on_scatter_clicked(self, _item: pg.ScatterPlotItem, points: list, _event: object) -> None:
        if len(points):
            self.point_clicked.emit(int(points[0].data()))
