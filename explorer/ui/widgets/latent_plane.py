"""The 2-D latent plane: the encoded test set coloured by digit, and a marker to drag."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from explorer.ui.widgets.point_cloud import CACHED, PointCloud

MARKER_GRAB_PX = 14  # a press this close to the marker (in pixels, Manhattan) grabs it

# A qualitative palette (matplotlib's tab10) so the ten digits stay distinguishable.
DIGIT_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def digit_legend(gap: str = "&nbsp;&nbsp;") -> str:
    """The ten digits' colours as one line of rich text, entries ``gap`` apart. The legend lives in a plane's
    title: one item, where a LegendItem adds twenty that pyqtgraph would hit-test at every mouse move."""
    return gap.join(f"<span style='color:{c}'>●</span>&nbsp;{d}" for d, c in enumerate(DIGIT_COLORS))


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
        for axis in ("left", "bottom"):
            self.getAxis(axis).setCacheMode(CACHED)
        self.set_caption("Latent space: each test digit x at its posterior mean μ(x)")
        self.points = PointCloud(DIGIT_COLORS)
        self.points.clicked.connect(self.point_clicked)
        self.addItem(self.points)
        self.grid_box = pg.PlotCurveItem(pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DotLine))
        self.addItem(self.grid_box)
        self.sigma_curves = [pg.PlotCurveItem(pen=pg.mkPen("#000", width=w)) for w in (2.5, 1.2)]
        for curve in self.sigma_curves:
            self.addItem(curve)
        self.selected = pg.ScatterPlotItem(size=12, symbol="o", pen=pg.mkPen("#000", width=2), brush=None)
        self.addItem(self.selected)
        self.marker = pg.TargetItem(
            pos=(0, 0),
            size=18,
            pen=pg.mkPen("#000", width=2),
            brush=pg.mkBrush(255, 215, 0, 220),
            symbol="o",
            movable=False,
        )
        self.marker.setZValue(10)
        self.marker.sigPositionChanged.connect(self._on_marker_moved)
        self.addItem(self.marker)
        self.plotItem.vb.disableAutoRange()  # the view is fitted to the points, not to the marker
        self._quiet = False
        self._dragging = False

    def set_caption(self, text: str, size: str = "10pt", legend_gap: str = "&nbsp;&nbsp;") -> None:
        """Title the plane ``text`` (one line of rich text), with the digits' colour legend on the line below."""
        self.setTitle(f"{text}<br>{digit_legend(legend_gap)}", color="#333", size=size)

    def set_marker_visible(self, visible: bool) -> None:
        """Show or hide the marker; a hidden marker cannot be grabbed (a plane only to look at)."""
        self.marker.setVisible(visible)

    def set_points(self, latents: np.ndarray, labels: np.ndarray) -> None:
        """Re-draw the scatter, (N, 2) posterior means with their (N,) digit labels, and fit the view
        to it when it has moved out of the view or shrunk (re-ranging repaints the axes and grid)."""
        self.points.set_points(latents, labels)
        low, high = np.percentile(latents, [0.1, 99.9], axis=0)
        (x0, x1), (y0, y1) = self.plotItem.vb.viewRange()
        inside = x0 <= low[0] and high[0] <= x1 and y0 <= low[1] and high[1] <= y1
        if not inside or (high - low).prod() < 0.3 * (x1 - x0) * (y1 - y0):
            self.plotItem.vb.setRange(xRange=(low[0], high[0]), yRange=(low[1], high[1]), padding=0.15)

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

    def hide_posterior(self) -> None:
        """Remove the selected posterior's point and ellipses."""
        for curve in self.sigma_curves:
            curve.setData([], [])
        self.selected.setData([], [])

    def show_grid_extent(self, low: float, high: float) -> None:
        """Dotted square: the part of the plane that the manifold view decodes."""
        self.grid_box.setData([low, high, high, low, low], [low, low, high, high, low])

    # The marker's drag is handled here, not by pyqtgraph's scene, which hit-tests every
    # item and sends hover events at each mouse move: that halves the drag's latency.
    def mousePressEvent(self, ev: QMouseEvent) -> None:
        marker = QPointF(self.mapFromScene(self.plotItem.vb.mapViewToScene(self.marker.pos())))
        if (
            ev.button() == Qt.MouseButton.LeftButton
            and self.marker.isVisible()
            and (marker - ev.position()).manhattanLength() <= MARKER_GRAB_PX
        ):
            self._dragging = True
            ev.accept()
            return
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        if self._dragging:
            self.marker.setPos(self.plotItem.vb.mapSceneToView(self.mapToScene(ev.position().toPoint())))
            ev.accept()
            return
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        if self._dragging and ev.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            ev.accept()
            return
        super().mouseReleaseEvent(ev)

    def _on_marker_moved(self) -> None:
        if not self._quiet:
            self.marker_moved.emit(*self.marker_pos())
