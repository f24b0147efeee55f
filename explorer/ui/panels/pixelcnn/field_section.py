"""Receptive field: click a pixel to see which pixels its prediction may look at, and the blind
spot a plain masked convolution would leave there."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from explorer.core.pixelcnn.field import blind_spot, receptive_field
from explorer.core.pixelcnn.model import SIDE
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.pixel_canvas import PixelCanvas, overlay
from explorer.ui.widgets.status_label import status_label

TARGET = (214, 39, 40)  # red: the pixel being predicted
SEEN = (44, 160, 44)  # green: what it may look at
BLIND = (255, 127, 14)  # orange: before it, yet unseen by a plain masked PixelCNN
HELP = (
    "A pixel's prediction may depend only on pixels before it in raster order: the masks of the convolutions "
    "guarantee it (type A in the first layer hides the pixel itself; type B later lets a position see its own "
    "features, which saw only earlier pixels). Green: the pixels the prediction at the red pixel depends on, "
    "traced through every layer of the loaded model. Tick 'plain masked PixelCNN' to trace a single stack of "
    "masked k × k convolutions of the same depth instead: each layer's mask sees the row above (left, centre and "
    "right) and the row so far, so the field grows up, to the left and up-right along a 45° diagonal, but "
    "misses the wedge to the right beyond that diagonal (orange): a blind spot no depth reaches. The gated "
    "PixelCNN's two stacks, vertical (rows above) and horizontal (the row so far), close it."
)


class FieldSection(QGroupBox):
    """A clickable 28 x 28 grid over a faint test digit, the field of the clicked pixel and the blind-spot toggle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Receptive field: what pixel i may look at", parent)
        self.layers, self.kernel = 10, 3
        self.backdrop = np.zeros((SIDE, SIDE), dtype=np.float32)
        self.target = (14, 14)
        self.canvas = PixelCanvas("click a pixel")
        self.canvas.setMinimumSize(150, 170)
        self.canvas.pixel_clicked.connect(self.show_field)
        self.plain = QCheckBox("plain masked PixelCNN (blind spot)")
        self.plain.toggled.connect(lambda _: self.show_field(*self.target))
        self.info = status_label(lines=4)
        top = QHBoxLayout()
        top.addWidget(self.plain)
        top.addStretch()
        top.addWidget(HelpButton(HELP))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.info)
        legend = QLabel(
            f"<span style='color:rgb{TARGET}'>■</span> predicted pixel  "
            f"<span style='color:rgb{SEEN}'>■</span> seen  "
            f"<span style='color:rgb{BLIND}'>■</span> blind spot"
        )
        layout.addWidget(legend)

    def set_model(self, layers: int, kernel: int, backdrop: np.ndarray) -> None:
        """Trace the fields of a net of this depth and width, over a faint digit for orientation."""
        self.layers, self.kernel = layers, kernel
        self.backdrop = 0.35 * np.asarray(backdrop, dtype=np.float32)
        self.show_field(*self.target)

    def show_field(self, row: int, col: int) -> None:
        self.target = (row, col)
        gated = not self.plain.isChecked()
        field = receptive_field(row, col, self.layers, self.kernel, gated=gated)
        target = np.zeros((SIDE, SIDE), dtype=bool)
        target[row, col] = True
        layers = [(field, SEEN, 0.6), (target, TARGET, 1.0)]
        before = row * SIDE + col
        text = (
            f"Pixel ({row}, {col}) is number {before + 1} in raster order; with {self.layers} layers its "
            f"prediction sees {int(field.sum())} of the {before} pixels before it."
        )
        if not gated:
            blind = blind_spot(row, col, self.layers, self.kernel)
            layers.insert(1, (blind, BLIND, 0.75))
            text += f" Blind spot: {int(blind.sum())} earlier pixels within reach that it can never see."
        else:
            text += " Beyond its reach it sees nothing, but within it there is no blind spot."
        self.canvas.set_image(overlay(self.backdrop, layers))
        self.info.setText(text)
