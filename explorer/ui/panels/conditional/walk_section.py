"""The style walk: rows = digits 0..9, columns = styles z along a line through the marker."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView

WALK_SPAN = 2.5  # the walk runs from -2.5 to +2.5 along its axis: nearly all of the prior N(0, I)


class WalkSection(QGroupBox):
    """The direction (``axis``: z₁ or z₂) and length (``columns``) of the walk, and the grid the decoder makes of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Style walk: rows = digits, columns = z", parent)
        self.axis = QComboBox()
        self.axis.addItem("along z₁", 0)
        self.axis.addItem("along z₂", 1)
        self.axis.setToolTip(
            f"Walk from −{WALK_SPAN:g} to +{WALK_SPAN:g} along this axis, through the marker "
            "(the dashed line on the cVAE's plane)"
        )
        self.columns = QSpinBox()
        self.columns.setRange(3, 15)
        self.columns.setValue(8)
        self.columns.setSuffix(" styles")
        self.grid = ImageView("y = 0 (top) … 9 (bottom)")
        self.grid.setMinimumSize(150, 180)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("walk"))
        controls.addWidget(self.axis)
        controls.addWidget(self.columns)
        controls.addStretch()
        column = QVBoxLayout(self)
        column.addLayout(controls)
        column.addWidget(self.grid, 1)

    def walk(self, z: np.ndarray) -> np.ndarray:
        """The walk's styles (K, d): ``z`` with its chosen coordinate swept across [-WALK_SPAN, WALK_SPAN]."""
        axis = min(self.axis.currentData(), len(z) - 1)
        zs = np.repeat(np.asarray(z, dtype=np.float32)[None], self.columns.value(), axis=0)
        zs[:, axis] = np.linspace(-WALK_SPAN, WALK_SPAN, len(zs))
        return zs

    def show_grid(self, grid: np.ndarray) -> None:
        """(10, K, 28, 28) digits: row y, column k."""
        digits, k = grid.shape[:2]
        self.grid.set_image(tile(grid.reshape(digits * k, 28, 28), k))

    def clear(self) -> None:
        self.show_grid(np.zeros((10, self.columns.value(), 28, 28), dtype=np.float32))
