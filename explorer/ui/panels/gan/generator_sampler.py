"""Under the MNIST game's digits: new samples from a trained generator, and a walk between two of its z."""

from __future__ import annotations

import torch
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from explorer.core.gan import interpolate
from explorer.core.gan.nets import DCGANGenerator, ToyGenerator
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView

INTERPOLATION_STEPS = 10
STRIP_HEIGHT = 68  # its empty title row, then the ten digits as large as the page's width allows


class GeneratorSampler(QWidget):
    """The 'New samples' and 'Interpolate' buttons, and the strip that shows the interpolation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample_button = QPushButton("New samples")
        self.sample_button.setToolTip("16 digits from the trained generator, for a new random seed")
        self.interpolate_button = QPushButton("Interpolate")
        self.interpolate_button.setToolTip("Digits along the straight line between two noise vectors z₀ and z₁")
        self.strip = ImageView("")
        # The strip above its buttons, not beside them: the page's whole width for its digits, on a small window too.
        self.strip.setFixedHeight(STRIP_HEIGHT)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sample_button)
        buttons.addWidget(self.interpolate_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.strip)
        column.addLayout(buttons)

    def show_interpolation(self, generator: DCGANGenerator | ToyGenerator, seed: int) -> None:
        """Digits along the line from z₀ to z₁, two noise vectors of ``seed``."""
        noise = torch.Generator().manual_seed(seed)
        z0, z1 = torch.randn(2, generator.latent_dim, generator=noise).numpy()
        self.strip.set_image(tile(interpolate(generator, z0, z1, INTERPOLATION_STEPS), INTERPOLATION_STEPS))

    def set_available(self, available: bool) -> None:
        """Offer the buttons only while there is a trained generator and no game is played."""
        self.sample_button.setEnabled(available)
        self.interpolate_button.setEnabled(available)
