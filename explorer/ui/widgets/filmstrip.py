"""A row of small images over time (a grid of samples as training goes on), each with its step."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QWidget

from explorer.ui.widgets.image_view import ImageView


class Filmstrip(QWidget):
    """Up to ``capacity`` frames spread over the whole run: the first and the latest are always
    kept, and when a frame is too many the one leaving the smallest gap in steps goes, so early
    and late training stay side by side however long it runs."""

    def __init__(
        self, capacity: int = 8, frame_shape: tuple[int, int] = (28, 28), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._frames: list[tuple[int, np.ndarray]] = []
        self._blank = np.ones(frame_shape, dtype=np.float32)  # white: no frame yet (same shape: no refit later)
        self.views = [ImageView("") for _ in range(capacity)]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for view in self.views:
            layout.addWidget(view)
            view.set_image(self._blank)

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

    def redraw(self) -> None:
        for i, view in enumerate(self.views):
            step, image = self._frames[i] if i < len(self._frames) else (None, self._blank)
            view.set_image(image)
            view.label.setText("" if step is None else f"step {step}")
