"""The VAE panel's middle column: the decoder at the marker, the z sliders, a test digit and its reconstruction."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider
from superqt.utils import signals_blocked

from explorer.core.vae import VAE, decode_images, encode_images
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

Z_RANGE = 4.0  # the sliders span [-4, 4]: beyond that the prior has almost no mass
INFO_LINES, MIN_WIDTH = 5, 260


class DecoderView(QWidget):
    """What the decoder makes of a z, set by the marker or the ``sliders``, and of a test digit's posterior mean."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.decoded = ImageView("decoder: mean of p(x | z) at the marker")
        self.decoded.setMinimumSize(150, 150)
        self.sliders: list[QLabeledDoubleSlider] = []
        slider_box = QGridLayout()
        for row, name in enumerate(("z₁", "z₂")):
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(-Z_RANGE, Z_RANGE)
            slider.setDecimals(2)
            slider.setSingleStep(0.01)  # type: ignore[arg-type]  # superqt's stub: int
            slider.setValue(0.0)
            slider_box.addWidget(QLabel(name), row, 0)
            slider_box.addWidget(slider, row, 1)
            self.sliders.append(slider)
        self.original = ImageView("test digit x")
        self.reconstruction = ImageView("reconstruction")
        pair = QHBoxLayout()
        pair.addWidget(self.original)
        pair.addWidget(self.reconstruction)
        self.selected_info = status_label(
            "Click a point in the plane to see that test digit, its posterior q(z|x) "
            "and its reconstruction. Drag the yellow marker (or use the sliders) to "
            "decode any z.",
            lines=INFO_LINES,
        )
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.decoded, 5)
        column.addLayout(slider_box)
        column.addSpacing(8)
        column.addLayout(pair, 3)
        column.addWidget(self.selected_info)
        self.setMinimumWidth(MIN_WIDTH)  # so that INFO_LINES hold the longest of those texts

    def slider_z(self) -> tuple[float, float]:
        return self.sliders[0].value(), self.sliders[1].value()

    def show_z(self, z1: float, z2: float) -> None:
        """Move the sliders to z (clipped to their range) without signalling a change."""
        for slider, value in zip(self.sliders, (z1, z2), strict=True):
            with signals_blocked(slider):
                slider.setValue(float(np.clip(value, -Z_RANGE, Z_RANGE)))

    def decode(self, model: VAE, z1: float, z2: float) -> None:
        """Decode z into the big digit view."""
        self.decoded.set_image(decode_images(model, np.array([[z1, z2]]))[0])

    def show_test_digit(self, model: VAE, index: int, image: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
        """Show test digit ``index`` (uint8 ``image`` of a ``label``) and its reconstruction, the decoder
        at its posterior mean; return the posterior's (mu, sigma), for the plane to draw."""
        mu, sigma = (a[0] for a in encode_images(model, image[None]))
        self.original.set_image(image.astype(np.float32) / 255.0)
        self.reconstruction.set_image(decode_images(model, mu[None])[0])
        self.selected_info.setText(
            f"Test digit #{index}, a {label}: q(z|x) = N(μ, σ²) with "
            f"μ = ({mu[0]:+.2f}, {mu[1]:+.2f}), σ = ({sigma[0]:.3f}, {sigma[1]:.3f}). "
            "Rings: 1σ and 2σ. Reconstruction = decoder at μ."
        )
        return mu, sigma
