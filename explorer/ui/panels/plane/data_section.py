"""The lab's data: a preset, or points drawn with the mouse (left adds, right erases) and loaded / saved as CSV."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QWidget,
)

from explorer.core.plane.data import (
    MAX_POINTS,
    PRESET_POINTS,
    PRESET_TITLES,
    PRESETS,
    load_points_csv,
    make_preset,
    save_points_csv,
)
from explorer.core.plane.lab_state import DRAWING, LabState
from explorer.core.runtime.errors import ExplorerError
from explorer.ui.widgets.help_button import HelpButton


def data_help(preset_points: int) -> str:
    """The section's help: the same words in the 2-D Lab and in the Likelihood tab's EM, each with its own preset size."""
    return (
        f"Every model here learns these points. Pick a preset ({preset_points:,} points drawn from its density), "
        f"or tick Draw and spray points with the mouse: the left button adds points inside the brush, the right "
        f"button erases them (the wheel still zooms; untick Draw to pan). A CSV file holds one x,y pair per line, "
        f"with an optional header; at most {MAX_POINTS:,} points. The ring of 8 Gaussians and the known mixture "
        f"have an exact density, so the exact score can be drawn; for the others the reference is the data itself "
        f"smoothed by σ."
    )


class DataSection(QGroupBox):
    """Writes ``source``, ``points``, ``drawing`` and ``brush`` of the state; reports file problems via ``on_error``.
    A preset chosen gives ``preset_points`` of it: the lab's PRESET_POINTS, or fewer where every step runs on
    the GUI thread (the Likelihood tab's EM)."""

    def __init__(
        self,
        state: LabState,
        on_error: Callable[[str], None],
        parent: QWidget | None = None,
        preset_points: int = PRESET_POINTS,
    ) -> None:
        super().__init__("Data", parent)
        self.state, self.on_error, self.preset_points = state, on_error, preset_points
        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(PRESET_TITLES[name], name)
        self.preset.addItem("Your drawing", DRAWING)
        self.preset.activated.connect(self._on_preset_chosen)
        self.draw = QCheckBox("Draw")
        self.draw.setToolTip("Left button adds points, right button erases, inside the brush")
        self.draw.toggled.connect(lambda on: state.update(drawing=on))
        self.brush = QDoubleSpinBox()
        self.brush.setRange(0.05, 2.0)
        self.brush.setSingleStep(0.05)
        self.brush.setValue(state.brush)
        self.brush.setPrefix("brush ")
        self.brush.valueChanged.connect(lambda r: state.update(brush=float(r)))
        self.clear = QPushButton("Clear")
        self.clear.clicked.connect(lambda: state.update(points=np.zeros((0, 2), np.float32), source=DRAWING))
        self.load = QPushButton("Load CSV…")
        self.load.clicked.connect(self._on_load)
        self.save = QPushButton("Save CSV…")
        self.save.clicked.connect(self._on_save)
        self.count = QLabel()
        grid = QGridLayout(self)
        grid.addWidget(self.preset, 0, 0, 1, 2)
        grid.addWidget(HelpButton(data_help(preset_points)), 0, 2)
        grid.addWidget(self.draw, 1, 0)
        grid.addWidget(self.brush, 1, 1, 1, 2)
        grid.addWidget(self.clear, 2, 0)
        grid.addWidget(self.load, 2, 1)
        grid.addWidget(self.save, 2, 2)
        grid.addWidget(self.count, 3, 0, 1, 3)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"points", "source"}))

    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name != DRAWING:
            self.state.update(points=make_preset(name, self.preset_points), source=name)

    def _on_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load points", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str) -> None:
        try:
            points = load_points_csv(path)
        except ExplorerError as exc:
            self.on_error(str(exc))
            return
        self.state.update(points=points, source=DRAWING)

    def _on_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save points", "points.csv", "CSV files (*.csv)")
        if path:
            try:
                save_points_csv(path, self.state.points)
            except (ExplorerError, OSError) as exc:
                self.on_error(str(exc))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "source" in names:
            index = self.preset.findData(self.state.source)
            self.preset.setCurrentIndex(index)
        if names & {"points", "source"}:
            self.count.setText(f"{len(self.state.points):,} points  ·  {PRESET_TITLES.get(self.state.source, 'drawn')}")
            self.save.setEnabled(len(self.state.points) > 0)
