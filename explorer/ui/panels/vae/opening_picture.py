"""What the VAE tab shows in the second or two before it can be used: the shipped VAE's own digits, computed with
NumPy (``explorer.core.vae_opening``), where the panel will show them, and a line saying the rest is on its way.

Plain Qt only (no pyqtgraph, no torch), so that it paints as soon as the window does; the main window
swaps the live panel in once torch is imported and the panel is built.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from explorer.core.vae_opening import VAEOpening, vae_opening

TITLE_STYLE = "color: #333; font-size: 10pt; background: white"
# the live panel's columns (its splitter's sizes): the latent plane, the decoder, the manifold
COLUMNS = (560, 300, 480)


class Picture(QWidget):
    """A (H, W) image in [0, 1] under a title, as the panel's image views show it: white on black,
    pixels kept square and sharp, scaled to fit."""

    def __init__(self, title: str, image: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = np.ascontiguousarray(image, dtype=np.float32)
        grey = np.ascontiguousarray(np.clip(self.image * 255.0 + 0.5, 0, 255).astype(np.uint8))
        height, width = grey.shape
        self._qimage = QImage(grey.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.title.setWordWrap(True)  # a narrow column (the window's minimum size) takes it on two lines
        self.title.setStyleSheet(TITLE_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addStretch(1)
        self.setMinimumSize(150, 150)

    def image_rect(self) -> QRect:
        """Where the image is drawn: the largest square-pixelled rectangle below the title, centred."""
        top = self.title.geometry().bottom() + 4
        room = self.rect().adjusted(2, top, -2, -2)
        scale = min(room.width() / self._qimage.width(), room.height() / self._qimage.height())
        width, height = int(self._qimage.width() * scale), int(self._qimage.height() * scale)
        return QRect(room.x() + (room.width() - width) // 2, room.y() + (room.height() - height) // 2, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # sharp pixels, as the panel's views
        painter.drawImage(self.image_rect(), self._qimage)
        painter.end()


class VAEOpeningPicture(QWidget):
    """The tab's top row as it will be: a note where the latent plane goes, the decoded digit at the marker's
    first place, and the manifold; ``pixels()`` is the digit (for tests and the start-up benchmark)."""

    def __init__(self, opening: VAEOpening, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        z1, z2 = opening.z
        self.note = QLabel(
            "<h3>Opening the VAE tab…</h3>"
            "<p>PyTorch is loading (a few seconds). Meanwhile, on the right: the shipped VAE's own digits, "
            f"its decoder ({opening.epochs} epochs of training) run with NumPy on the weights in its checkpoint."
            "</p><p>Here the latent plane will appear: every test digit at its posterior mean, and a marker to "
            "drag through it; the sliders, a test digit's reconstruction and training follow.</p>"
        )
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(30)
        self.decoded = Picture(f"decoder: mean of p(x | z) at z = ({z1:g}, {z2:g})", opening.decoded)
        self.manifold = Picture("manifold: decoder at Gaussian quantiles of z", opening.manifold)
        middle = QVBoxLayout()
        middle.addWidget(self.decoded, 5)
        middle.addStretch(4)  # where the sliders and a test digit will be
        row = QHBoxLayout()
        row.addWidget(self.note, COLUMNS[0])
        row.addLayout(middle, COLUMNS[1])
        row.addWidget(self.manifold, COLUMNS[2])
        layout = QVBoxLayout(self)
        layout.addLayout(row, 2)
        layout.addStretch(1)  # where the training row will be

    def pixels(self) -> np.ndarray:
        return self.decoded.image


def opening_picture() -> QWidget | None:
    """The VAE tab's opening picture, or None where the shipped checkpoint cannot give one (the panel's
    loader says why once it runs)."""
    opening = vae_opening()
    return None if opening is None else VAEOpeningPicture(opening)
