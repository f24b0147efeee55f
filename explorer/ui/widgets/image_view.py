"""A grey-scale image view with fixed levels, for digits and grids of digits."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget


class ImageView(pg.GraphicsLayoutWidget):
    """Shows a (H, W) image in [0, 1], row-major, white on black as MNIST is, aspect locked."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        # No right-click menu: a fixed picture has no view to change, and pyqtgraph builds each view's menu
        # (two axis forms) up front, most of the cost of making an image view.
        self.view = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLevels((0.0, 1.0))
        self.view.addItem(self.image)
        self.label = self.addLabel(title, row=0, col=0, color="#333", size="10pt")
        self.ci.layout.setContentsMargins(2, 2, 2, 2)

    def set_image(self, image: np.ndarray) -> None:
        """Replace the picture; the view refits only when its shape changes."""
        reshape = self.image.image is None or self.image.image.shape != image.shape
        self.image.setImage(np.ascontiguousarray(image, dtype=np.float32), levels=(0.0, 1.0), autoLevels=False)
        if reshape:
            self.view.autoRange(padding=0.0)

    def blank(self) -> None:
        """Show nothing (the white background) until the next picture: not a black square that looks like one."""
        self.image.clear()

    def pixels(self) -> np.ndarray | None:
        """The image now shown (for tests and benchmarks)."""
        return self.image.image
