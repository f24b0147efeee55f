"""Complete a digit: keep its top rows (a test digit, or one drawn with the mouse), hide the rest,
and let the model write several different endings from the same beginning."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.core.pixelcnn.model import SIDE
from explorer.core.pixelcnn.panel_state import PixelCNNState
from explorer.ui.panels.pixelcnn.write_section import bound_spin_box
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.image_grid import ImageGrid
from explorer.ui.widgets.pixel_canvas import PixelCanvas, overlay
from explorer.ui.widgets.status_label import status_label

HIDDEN = (31, 119, 180)  # blue tint over the rows the model will write
HELP = (
    "Because p(x) factorises in raster order, the model can continue any beginning: the rows you keep are "
    "given, never changed, and every hidden pixel is drawn from p(x_i | everything above and to the left). "
    "Each completion is a different draw, so the same top can end as different digits when it is ambiguous "
    "(the top of a 7 or a 9?). Draw with the left mouse button, erase with the right."
)


class CompleteSection(QGroupBox):
    """The drawing canvas with the hidden rows tinted, its controls, and the grid of completions; the rows kept and
    how many completions are ``state``'s."""

    def __init__(self, test_images: np.ndarray, state: PixelCNNState, parent: QWidget | None = None) -> None:
        super().__init__("Complete a digit: keep the top, write the rest", parent)
        self.test_images = test_images
        self.state = state
        self.canvas = PixelCanvas("draw: left button, erase: right", drawable=True)
        self.canvas.setMinimumSize(150, 170)
        self.canvas.drawn.connect(self.show_hidden)
        self.test_index = QSpinBox()
        self.test_index.setRange(0, len(test_images) - 1)
        self.test_index.setPrefix("test digit #")
        self.test_index.valueChanged.connect(self.use_test_digit)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(lambda: self.set_given(np.zeros((SIDE, SIDE))))
        self.keep_rows = bound_spin_box(state, "keep_rows")
        self.keep_rows.setPrefix("keep rows 0–")
        self.keep_rows.setSpecialValueText("keep nothing")
        state.changed.connect(lambda names: self.show_hidden() if "keep_rows" in names else None)
        self.n_completions = bound_spin_box(state, "completions")
        self.n_completions.setPrefix("completions ")
        self.complete_button = QPushButton("Complete")
        self.grid = ImageGrid("completions")
        self.grid.setMinimumSize(150, 170)
        self.info = status_label("", lines=2)
        form = QGridLayout()
        form.addWidget(self.test_index, 0, 0)
        form.addWidget(self.clear_button, 0, 1)
        form.addWidget(self.keep_rows, 1, 0)
        form.addWidget(self.n_completions, 1, 1)
        form.addWidget(self.complete_button, 2, 0)
        form.addWidget(HelpButton(HELP), 2, 1)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(form)
        row = QHBoxLayout()
        row.addLayout(left, 1)
        row.addWidget(self.grid, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.info)
        self.use_test_digit(0)

    def binary_test_digit(self, index: int) -> np.ndarray:
        """Test digit ``index`` as ink/paper (grey levels above one half are ink)."""
        return (self.test_images[index] >= 128).astype(np.float32)

    def use_test_digit(self, index: int) -> None:
        self.set_given(self.binary_test_digit(index))

    def set_given(self, pixels: np.ndarray) -> None:
        self.canvas.set_drawing(pixels)
        self.show_hidden()

    def show_hidden(self) -> None:
        """The drawing with the rows the model will write tinted."""
        self.canvas.set_image(overlay(self.canvas.pixels_drawn, [(~self.state.known(), HIDDEN, 0.35)]))

    def drawing(self) -> np.ndarray:
        """(28, 28) the pixels drawn: what a completion keeps of them are the state's rows."""
        return self.canvas.pixels_drawn

    def show_completions(self, images: np.ndarray, seconds: float) -> None:
        self.grid.set_images(images)
        self.info.setText(
            f"{len(images)} completions of the same top in {seconds:.1f} s; the kept rows are identical in every one."
        )
