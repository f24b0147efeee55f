"""The MNIST game's page: G(z) for 16 fixed z, a filmstrip of them as training goes on, and the sampler."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from explorer.core.gan import sample_images
from explorer.core.gan.nets import DCGANGenerator, ToyGenerator
from explorer.ui.panels.gan.generator_sampler import GeneratorSampler
from explorer.ui.widgets.filmstrip import Filmstrip
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView

SAMPLE_GRID_PX = 4 * 30 - 2  # the 16 preview digits tiled 4 x 4 with 2-pixel gaps
FILMSTRIP = "Filmstrip: the same 16 z as training goes on"
EMPTY_FILMSTRIP = (
    "No game played yet. Start or a Step button plays one: G's digits for the same 16 z appear here, "
    "frame by frame, from untrained noise to digits."
)
NO_GENERATOR = "no digit generator yet: press Start, or a Step button to go move by move"


class DigitsPage(QWidget):
    """The 4 x 4 grid shows the game's fixed-noise digits, or a trained generator's samples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = ImageView(NO_GENERATOR)
        self.filmstrip = Filmstrip(8, frame_shape=(SAMPLE_GRID_PX, SAMPLE_GRID_PX))
        self.filmstrip.setFixedHeight(125)
        self.empty_filmstrip = QLabel(EMPTY_FILMSTRIP)  # in the filmstrip's place until it has a frame
        self.empty_filmstrip.setWordWrap(True)
        self.empty_filmstrip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_filmstrip.setStyleSheet("color: #555; background: white; padding: 12px")
        self.filmstrip_box = QStackedWidget()
        self.filmstrip_box.addWidget(self.empty_filmstrip)
        self.filmstrip_box.addWidget(self.filmstrip)
        self.filmstrip_box.setFixedHeight(125)
        self.sampler = GeneratorSampler()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.grid, 1)
        column.addWidget(QLabel(FILMSTRIP))
        column.addWidget(self.filmstrip_box)
        column.addWidget(self.sampler)

    def show_fixed_noise(self, step: int, grid: np.ndarray) -> None:
        """The tiled G(z) of the game's 16 fixed z at iteration ``step``."""
        self.grid.set_image(grid)
        self.grid.label.setText(f"G(z) for 16 fixed z, iteration {step}")

    def show_samples(self, generator: DCGANGenerator | ToyGenerator, seed: int) -> None:
        """16 digits from a trained ``generator`` for ``seed``."""
        self.grid.set_image(tile(sample_images(generator, 16, seed=seed), 4))
        self.grid.label.setText(f"trained generator: 16 samples G(z), seed {seed}")

    def redraw_filmstrip(self) -> None:
        """Show the filmstrip's frames; without any, a line saying what will appear there."""
        self.filmstrip.redraw()
        self.filmstrip_box.setCurrentWidget(self.filmstrip if self.filmstrip.steps() else self.empty_filmstrip)

    def show_no_generator(self) -> None:
        """No game and no trained generator: an empty grid that says what to do."""
        self.grid.image.clear()
        self.grid.label.setText(NO_GENERATOR)
        self.sampler.strip.image.clear()
