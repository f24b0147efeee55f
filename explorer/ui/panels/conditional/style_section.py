"""Style × digit: one style z drawn as all ten digits at once, z from the marker or from a test digit
encoded with its own label."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

DIGIT_COLUMNS = 5  # the ten digits in two rows of five
SOURCE_SIZE = 76  # the test digit whose style is drawn: small, it only says where the style came from
SOURCE_TITLE = "test digit"
# what the source box says while the style is the marker's, not a test digit's
NO_SOURCE = "none:<br>the marker"
NO_MODEL = "<b>No conditional VAE yet</b>: train one below, or use File ▸ Load checkpoint… (a cvae checkpoint)."


def z_text(z: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:+.2f}" for v in z) + ")"


class StyleSection(QGroupBox):
    """``digits``: p(x | z, y) for y = 0..9 at one z; ``source``: the test digit whose style it is, if any.
    Emits ``test_digit_chosen(index)`` when the user picks a test digit by number or at random."""

    test_digit_chosen = Signal(int)

    def __init__(self, test_count: int, parent: QWidget | None = None) -> None:
        super().__init__("Style × digit: one z, all ten labels", parent)
        self.digits = ImageView("p(x | z, y), y = 0 … 9, at one z")
        self.digits.setMinimumSize(180, 100)
        self.source = ImageView(SOURCE_TITLE)
        self.source.setFixedSize(SOURCE_SIZE, SOURCE_SIZE + 20)
        self.test_index = QSpinBox()
        self.test_index.setRange(0, test_count - 1)
        self.test_index.setPrefix("#")
        self.test_index.setToolTip("A test digit: encoded with its own label, its z is drawn as every digit")
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("Pick a test digit at random")
        self._rng = np.random.default_rng(0)
        self.info = status_label(NO_MODEL, lines=4)
        self.info.setMinimumWidth(160)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("test digit"))
        pick.addWidget(self.test_index, 1)
        pick.addWidget(self.random_button)
        about = QVBoxLayout()
        about.addLayout(pick)
        about.addWidget(self.info)
        about.addStretch()
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 0, Qt.AlignmentFlag.AlignTop)
        source_row.addLayout(about, 1)
        column = QVBoxLayout(self)
        column.addWidget(self.digits, 1)
        column.addLayout(source_row)
        self.test_index.valueChanged.connect(self.test_digit_chosen)
        self.random_button.clicked.connect(self._on_random_clicked)

    def show_digits(self, digits: np.ndarray) -> None:
        """(10, 28, 28) digits, 0..9, one style."""
        self.digits.set_image(tile(digits, DIGIT_COLUMNS))

    def show_dragged(self, z: np.ndarray) -> None:
        """The style is a z of the user's choosing: no test digit is its source, and the box says so."""
        self.source.blank()
        self.source.label.setText(NO_SOURCE, size="8pt")
        self.info.setText(
            f"z = {z_text(z)}, at the marker: your own style. Drag the marker and every digit "
            "takes the new one; or pick a test digit."
        )

    def show_test_digit(self, index: int, image: np.ndarray, label: int, z: np.ndarray) -> None:
        """The style is test digit ``index``'s (a ``label``): its posterior mean z."""
        self.source.set_image(image.astype(np.float32) / 255.0)
        self.source.label.setText(SOURCE_TITLE, size="10pt")
        with signals_blocked(self.test_index):
            self.test_index.setValue(index)
        self.info.setText(
            f"Test digit #{index}, a {label}, encoded with its label: z = μ(x, y) = {z_text(z)}. "
            "Its style, drawn as every digit."
        )

    def clear(self, text: str = NO_MODEL) -> None:
        self.digits.blank()
        self.source.blank()
        self.info.setText(text)

    def _on_random_clicked(self) -> None:
        self.test_digit_chosen.emit(int(self._rng.integers(self.test_index.maximum() + 1)))
