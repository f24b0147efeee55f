"""Write a digit: the 784 sequential steps of sampling, scrubbable, with what the model would write next.

At step t the first t pixels (raster order) are written. The left view shows them, the pixel
just written boxed in orange; the right view shows p(x_k = 1 | the written pixels) at every
position k not yet written, what the model would write there now, were it next.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.core.pixelcnn.jobs import Written
from explorer.core.pixelcnn.model import PIXELS, SIDE
from explorer.core.pixelcnn.panel_state import PixelCNNState
from explorer.core.runtime.evented import Evented
from explorer.ui.panels.pixelcnn.next_maps import NextPixelMaps
from explorer.ui.widgets.bounded_box import fit_to_field
from explorer.ui.widgets.heat_view import HeatView
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.image_grid import ImageGrid
from explorer.ui.widgets.pixel_canvas import PixelCanvas, overlay
from explorer.ui.widgets.timeline import Timeline

UNWRITTEN = 0.55  # grey of pixels not written yet: neither ink (white) nor paper (black)
OPENING_STEP = PIXELS // 2  # where the timeline opens: the top half written
JUST_WRITTEN = (232, 115, 26)  # orange, as the grid's selection box
HELP = (
    "A PixelCNN writes a digit one pixel at a time, row by row, left to right: 784 steps, each a draw from "
    "p(x_i = 1 | x_1 … x_{i−1}), the model's probability that pixel i is ink given every pixel written before it. "
    "Scrub the timeline to any step. Left: the pixels written so far (grey: not yet), the last one boxed. Right: "
    "at every pixel not yet written, the probability the model would give it being ink if it came next, given "
    "what is written. Watch the map sharpen into the stroke's continuation as the digit takes shape."
)


def written_so_far(image: np.ndarray, t: int) -> np.ndarray:
    """(28, 28) picture after t of 784 steps: the written pixels, grey where nothing is written yet."""
    flat = np.full(PIXELS, UNWRITTEN, dtype=np.float32)
    flat[:t] = np.asarray(image, dtype=np.float32).reshape(PIXELS)[:t]
    return flat.reshape(SIDE, SIDE)


def bound_spin_box(state: Evented, name: str) -> QSpinBox:
    """A spin box over ``state``'s field ``name``: its declared range, its value; an edit writes the state and a
    change of the state shows (without being written back)."""
    box = QSpinBox()
    fit_to_field(box, type(state), name)
    box.setValue(getattr(state, name))
    box.valueChanged.connect(lambda value: state.update(**{name: value}))

    def show(names: frozenset[str]) -> None:
        if name in names:
            with QSignalBlocker(box):
                box.setValue(getattr(state, name))

    state.changed.connect(show)
    return box


class WriteSection(QGroupBox):
    """Digits written by the panel's job, a grid to pick one, its two large views and the timeline.
    ``next_map`` is the panel's function (image, t) -> the map of the right view. How many digits and the seed
    are ``state``'s."""

    frame_shown = Signal(int)

    def __init__(self, state: PixelCNNState, parent: QWidget | None = None) -> None:
        super().__init__("Write a digit, pixel by pixel: p(x) = ∏ᵢ p(xᵢ | x₁ … xᵢ₋₁)", parent)
        self.written: Written | None = None
        self.selected = 0
        self.next_map: Callable[[np.ndarray, int], np.ndarray] | None = None
        self.maps = NextPixelMaps(self)  # next_map's answers for the written digits, kept
        self.n_digits = bound_spin_box(state, "n")
        self.n_digits.setPrefix("digits ")
        self.seed = bound_spin_box(state, "seed")
        self.seed.setPrefix("seed ")
        self.write_button = QPushButton("Write")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        controls = QHBoxLayout()
        for widget in (self.n_digits, self.seed, self.write_button, self.cancel_button):
            controls.addWidget(widget)
        controls.addStretch()
        controls.addWidget(HelpButton(HELP))
        self.info = QLabel("Press Write: the model draws the digits in the background, then scrub the 784 steps.")
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color:#333; background:#eef3fb; padding:4px; border-radius:4px;")
        self.info.setFixedHeight(2 * self.info.fontMetrics().lineSpacing() + 10)
        self.grid = ImageGrid("written digits (click one)")
        self.grid.clicked.connect(self.select)
        self.canvas = PixelCanvas("written so far")
        self.next_view = HeatView("what it would write next")
        views = QHBoxLayout()
        for view in (self.grid, self.canvas, self.next_view):
            view.setMinimumSize(120, 140)
            views.addWidget(view, 1)
        self.timeline = Timeline()
        self.timeline.frame_changed.connect(self.show_frame)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.info)
        layout.addLayout(views, 1)
        layout.addWidget(self.timeline)

    def clear(self) -> None:
        self.written = None
        self.maps.reset(None)
        self.timeline.set_count(0)
        for view in (self.grid, self.canvas, self.next_view):
            view.image.clear()

    def show_written(self, written: Written) -> None:
        """New digits: show them all, follow the first, and put the timeline half way through the writing."""
        self.written = written
        self.maps.reset(self.next_map)
        self.grid.set_images(written.images)
        steps_per_s = PIXELS / max(written.seconds, 1e-9)
        self.info.setText(
            f"Wrote {len(written.images)} digits in {written.seconds:.1f} s: 784 steps one after "
            f"another ({steps_per_s:.0f} steps/s, all digits at once). Scrub the timeline to watch."
        )
        self.selected = 0
        self.timeline.set_count(PIXELS + 1)
        self.timeline.set_frame(OPENING_STEP)  # half written: the next-pixel map has something to say
        self.select(0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fill_maps()

    def select(self, index: int) -> None:
        if self.written is None or not 0 <= index < len(self.written.images):
            return
        self.selected = index
        self.grid.select(index)
        self.show_frame(self.timeline.frame())
        self._fill_maps()

    def _fill_maps(self) -> None:
        """Compute the selected digit's next-pixel maps in the background while it is on show (a hidden tab
        waits): scrubbing it then costs no pass of the net."""
        if self.written is not None and self.isVisible():
            self.maps.fill(self.selected, self.written.images[self.selected], self.timeline.frame())

    def show_frame(self, t: int) -> None:
        """Step t: the first t pixels of the selected digit, the last boxed, and the next-pixel map."""
        if self.written is None:
            return
        image, probs = self.written.images[self.selected], self.written.probs[self.selected]
        just = np.zeros(PIXELS, dtype=bool)
        if t > 0:
            just[t - 1] = True
        self.canvas.set_image(overlay(written_so_far(image, t), [(just.reshape(SIDE, SIDE), JUST_WRITTEN, 0.85)]))
        if self.maps.compute is not None and t < PIXELS:
            self.next_view.set_values(self.maps.map_at(self.selected, image, t), 0.0, 1.0, "p(ink), 0 dark to 1 yellow")
        elif t == PIXELS:
            self.next_view.set_values(np.full((SIDE, SIDE), np.nan), 0.0, 1.0, "every pixel is written")
        self.timeline.info.setText(self.step_text(t, image, probs))
        self.frame_shown.emit(t)

    def step_text(self, t: int, image: np.ndarray, probs: np.ndarray) -> str:
        if t == 0:
            return "step 0 / 784: nothing written yet"
        i = t - 1
        row, col = divmod(i, SIDE)
        p = float(probs.reshape(PIXELS)[i])
        ink = image.reshape(PIXELS)[i] > 0.5
        return f"<b>step {t} / 784</b>  pixel ({row}, {col})  p(ink) = {p:.2f}  →  {'ink' if ink else 'paper'}"
