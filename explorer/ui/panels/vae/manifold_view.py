"""The VAE panel's right column: the decoder over an n x n grid of Gaussian quantiles of z."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from explorer.core.vae import VAE, latent_grid
from explorer.ui.widgets.image_view import ImageView


class ManifoldView(QWidget):
    """The manifold the decoder has learnt, as one image; ``grid_n`` sets its size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manifold = ImageView("manifold: decoder at Gaussian quantiles of z")
        self.grid_n = QSpinBox()
        self.grid_n.setRange(2, 30)
        self.grid_n.setValue(15)
        self.grid_n.setPrefix("n = ")
        self.grid_n.setSuffix(" × n")
        grid_row = QHBoxLayout()
        grid_row.addWidget(QLabel("Grid of z = (Φ⁻¹(u₁), Φ⁻¹(u₂)), u from 0.05 to 0.95:"))
        grid_row.addWidget(self.grid_n)
        grid_row.addStretch()
        column = QVBoxLayout(self)
        column.addWidget(self.manifold, 1)
        column.addLayout(grid_row)

    def draw(self, model: VAE) -> None:
        self.manifold.set_image(latent_grid(model, self.grid_n.value()))
