"""The two latent planes side by side: the plain VAE's, where z must also say which digit it is, and
the cVAE's, where the label says it and z keeps only the style. The cVAE's marker is the style drawn."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from explorer.core.conditional import CVAE
from explorer.core.conditional import encode_images as encode_labelled
from explorer.core.families import FAMILIES
from explorer.core.runtime.data import Split
from explorer.core.runtime.errors import ExplorerError
from explorer.core.vae import VAE, encode_images
from explorer.ui.off_thread import LatestOnly
from explorer.ui.widgets.latent_plane import LatentPlane
from explorer.ui.widgets.status_label import status_label

PLAIN_CAPTION = "<b>Plain VAE</b>, μ(x): digits apart"
CVAE_CAPTION = "<b>cVAE</b>, μ(x, y): digits overlap"
CAPTION_SIZE = "9pt"
LEGEND_GAP = "&nbsp;"  # a compact legend: the planes share a narrow column
PLANE_MIN_WIDTH = 325  # room for the legend beside the axis
ABOUT = (
    "Plain VAE (left): z must say which digit it is, so each has its own region. cVAE (right): the label "
    "says it, so z keeps only the style (slant, width, thickness) and the digits overlap. Drag the yellow "
    "marker for a style; click a point to take that test digit's."
)


def plane_points(z: np.ndarray) -> np.ndarray:
    """(N, d) latents -> (N, 2) points of the plane: the first two coordinates (a 1-D z on the z₁ axis)."""
    return z[:, :2] if z.shape[1] >= 2 else np.column_stack([z[:, 0], np.zeros(len(z), dtype=z.dtype)])


def plain_points(model: VAE, test: Split) -> np.ndarray:
    """The plain VAE's plane: the test digits' posterior means."""
    return plane_points(encode_images(model, test.images)[0])


def cvae_points(model: CVAE, test: Split) -> np.ndarray:
    """The cVAE's plane: the test digits' posterior means, each digit encoded with its label."""
    return plane_points(encode_labelled(model, test.images, test.labels)[0])


class PlanesSection(QWidget):
    """``plain`` shows the shipped VAE's test set; ``plane`` the cVAE's, with the marker to drag and the walk's line.

    Encoding the 10,000 test digits takes a few tenths of a second per model: it runs off the GUI thread
    (``plain_work``, ``cvae_work``), so building the tab and loading a model never hold the window."""

    def __init__(self, test: Split, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.test = test
        self.plain_work, self.cvae_work = LatestOnly(self), LatestOnly(self)
        self.plain = LatentPlane()
        self.plain.set_marker_visible(False)
        self.plain.set_caption(PLAIN_CAPTION, CAPTION_SIZE, LEGEND_GAP)
        self.plane = LatentPlane()
        self.plane.set_caption(CVAE_CAPTION, CAPTION_SIZE, LEGEND_GAP)
        self.walk_line = pg.PlotCurveItem(pen=pg.mkPen("#000", width=2, style=Qt.PenStyle.DashLine))
        self.walk_line.setZValue(5)
        self.plane.addItem(self.walk_line)
        for plane in (self.plain, self.plane):
            plane.setMinimumSize(PLANE_MIN_WIDTH, 200)
        self.about = status_label(ABOUT, lines=3)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.plain, 1)
        row.addWidget(self.plane, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row, 1)
        column.addWidget(self.about)

    def show_plain_vae(self) -> None:
        """Encode the test set with the shipped plain VAE; without one, its plane says so."""
        path = FAMILIES["vae"].default_checkpoint
        if not path.is_file():
            self.plain.set_caption(f"<b>Plain VAE</b>: no {path.name} to compare with", CAPTION_SIZE, LEGEND_GAP)
            return
        try:
            model, _, _ = FAMILIES["vae"].load(path)
        except ExplorerError as exc:
            self.plain.set_caption(f"<b>Plain VAE</b>: {path.name} is unreadable", CAPTION_SIZE, LEGEND_GAP)
            self.plain.setToolTip(str(exc))
            return
        self.plain_work.start(plain_points, model, self.test, on_done=self._show_plain)

    def _show_plain(self, points: np.ndarray) -> None:
        self.plain.set_points(points, self.test.labels)

    def encode_cvae(self, model: CVAE) -> None:
        """Show ``model``'s plane once the test set is encoded (off the GUI thread)."""
        self.cvae_work.start(cvae_points, model, self.test, on_done=self._show_cvae_points)

    def show_cvae(self, latents: np.ndarray) -> None:
        """The cVAE's posterior means of the test set (a training snapshot's): shown now, any encoding under
        way dropped."""
        self.cvae_work.cancel()
        self._show_cvae_points(plane_points(latents))

    def _show_cvae_points(self, points: np.ndarray) -> None:
        self.plane.set_points(points, self.test.labels)

    @property
    def encoding(self) -> bool:
        """Whether a plane's encoding is still running (tests wait for it)."""
        return bool(self.plain_work.pending or self.cvae_work.pending)

    def clear_cvae(self) -> None:
        """No cVAE: an empty plane, no walk, no posterior."""
        self.cvae_work.cancel()
        self.plane.points.set_points(np.zeros((0, 2)), np.zeros(0, dtype=int))
        self.plane.hide_posterior()
        self.walk_line.setData([], [])

    def show_walk(self, zs: np.ndarray) -> None:
        """Draw the style walk's points (K, 2) as a line on the cVAE's plane."""
        points = plane_points(zs)
        self.walk_line.setData(points[:, 0], points[:, 1])
