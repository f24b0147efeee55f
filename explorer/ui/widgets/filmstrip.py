"""A row of small images over time (a grid of samples as training goes on), each with its step."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from explorer.ui.widgets.image_view import ImageView

FRAME_MIN_PX = 68  # the narrowest frame pyqtgraph draws with its step above it
FEWEST_FRAMES = 3  # shown however narrow the strip: the first, one between, the latest
SPACING = 2


class Filmstrip(QWidget):
    """Up to ``capacity`` frames spread over the whole run: the first and the latest are always
    kept, and when a frame is too many the one leaving the smallest gap in steps goes, so early
    and late training stay side by side however long it runs.

    A strip narrower than ``capacity`` frames shows as many as fit (at least ``FEWEST_FRAMES``), spread
    evenly from the first to the latest, rather than holding the whole panel wide on a small screen."""

    def __init__(
        self, capacity: int = 8, frame_shape: tuple[int, int] = (28, 28), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._frames: list[tuple[int, np.ndarray]] = []
        self._blank = np.ones(frame_shape, dtype=np.float32)  # white: no frame yet (same shape: no refit later)
        self.views = [ImageView("") for _ in range(capacity)]
        self.shown = capacity  # how many views fit the strip's width
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        for view in self.views:
            # Equal shares of the width whatever each view's contents ask for; never narrower than a frame reads.
            view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            view.setMinimumWidth(FRAME_MIN_PX)
            layout.addWidget(view)
            view.set_image(self._blank)
        fewest = min(FEWEST_FRAMES, capacity)
        self.setMinimumWidth(fewest * FRAME_MIN_PX + (fewest - 1) * SPACING)  # not the layout's: all frames

    def fitting(self, width: int) -> int:
        """How many frames a strip ``width`` pixels wide shows."""
        fit = (width + SPACING) // (FRAME_MIN_PX + SPACING)
        return max(min(FEWEST_FRAMES, self.capacity), min(self.capacity, fit))

    def resizeEvent(self, event: QResizeEvent) -> None:
        shown = self.fitting(event.size().width())
        if shown != self.shown:
            self.shown = shown
            for i, view in enumerate(self.views):
                view.setVisible(i < shown)
            self.redraw()
        super().resizeEvent(event)

    def add_frame(self, step: int, image: np.ndarray) -> None:
        """Keep ``image`` as the frame of ``step`` (replacing a frame of the same step); ``redraw`` shows it."""
        if self._frames and self._frames[-1][0] == step:
            self._frames.pop()
        self._frames.append((step, image))
        if len(self._frames) > self.capacity:
            steps = [s for s, _ in self._frames]
            _, drop = min((steps[i + 1] - steps[i - 1], i) for i in range(1, len(steps) - 1))
            del self._frames[drop]

    def clear(self) -> None:
        """Forget every frame; ``redraw`` blanks them."""
        self._frames = []

    def steps(self) -> list[int]:
        return [s for s, _ in self._frames]

    def on_show(self) -> list[tuple[int, np.ndarray]]:
        """The frames the views show: all that are kept, or as many as fit, evenly spread from the first to
        the latest."""
        if len(self._frames) <= self.shown:
            return self._frames
        picks = np.linspace(0, len(self._frames) - 1, self.shown).round().astype(int)
        return [self._frames[i] for i in picks]

    def redraw(self) -> None:
        frames = self.on_show()
        for i, view in enumerate(self.views[: self.shown]):
            step, image = frames[i] if i < len(frames) else (None, self._blank)
            view.set_image(image)
            view.label.setText("" if step is None else f"step {step}")
