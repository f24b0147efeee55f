"""The training row every panel that trains by steps shares: a form (steps, learning rate and the
family's own settings), the Train button, the model's description, a curve of the run and a view
of samples while it trains. The Diffusion, PixelCNN and cDDPM panels fill it in."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.runtime.checkpoints import Checkpoint
from explorer.ui.panels.run_record import earlier_steps
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

MAX_STEPS = 200_000  # the most steps the panels' forms offer (the CLI allows more)


def spin_box(low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSingleStep(step)
    return box


def learning_rate_box(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(5)
    box.setRange(1e-5, 1e-1)
    box.setSingleStep(1e-4)
    box.setValue(value)
    return box


class StepTrainingSection(QGroupBox):
    """``train_steps``, ``lr``, ``train_button``, ``model_info``, the run's ``plot`` and ``train_samples``;
    a subclass makes its own settings, then calls ``lay_out`` with the form's rows in order."""

    def __init__(
        self, title: str, steps: int, lr: float, plot: CurvePlot, samples_title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(title, parent)
        self.train_steps = spin_box(1, MAX_STEPS, steps, 100 if steps < 1000 else 500)
        self.lr = learning_rate_box(lr)
        self.train_button = QPushButton("Train")
        self.model_info = status_label("No model loaded.", 6)
        self.model_info.setMinimumWidth(260)
        self.plot = plot
        self.plot.setMinimumSize(240, 110)
        self.samples_title = samples_title
        self.train_samples = ImageView(samples_title)
        self._show_no_samples()

    def lay_out(self, rows: list[tuple[str, QWidget]], plot_stretch: int = 3, samples_stretch: int = 1) -> None:
        form = QFormLayout()
        for name, widget in rows:
            form.addRow(name, widget)
        about = QVBoxLayout()
        about.addWidget(self.train_button)
        about.addWidget(self.model_info)
        about.addStretch()
        self.train_samples.setMinimumSize(150, 110)
        row = QHBoxLayout(self)
        row.addLayout(form)
        row.addLayout(about)
        row.addWidget(self.plot, plot_stretch)
        row.addWidget(self.train_samples, samples_stretch)

    def add(self, snap: Any) -> None:
        """Record a snapshot's points on the curves (drawn at the next redraw)."""
        raise NotImplementedError

    def show_samples(self, samples: np.ndarray) -> None:
        raise NotImplementedError

    def follow(self, snap: Any, refresh: StaggeredRefresh) -> None:
        """Take a training snapshot: its points now, the curves and samples over the next turns of the event loop."""
        self.add(snap)
        refresh.request("curves", self.plot.redraw)
        if snap.samples is not None:
            samples = snap.samples
            refresh.request("samples", lambda: self.show_samples(samples))

    def _show_no_samples(self) -> None:
        """An empty samples view that says what will appear there."""
        self.train_samples.blank()
        self.train_samples.label.setText(f"{self.samples_title}<br><i>shown while Train runs</i>")

    def start_curves(self, steps: int) -> None:
        """Empty curves over the ``steps`` of a run about to start, whose samples the view will show."""
        self.train_samples.label.setText(self.samples_title)
        self.plot.clear_data()
        self.plot.set_x_span(steps)
        self.plot.redraw()

    def show_curves(self, ckpt: Checkpoint | None, keys: dict[str, str]) -> None:
        """Plot a model's last run's recorded history (curve name -> history key), its steps counted
        after its earlier runs; None clears the curves."""
        self.plot.clear_data()
        self._show_no_samples()  # an aborted run's samples are not the model's
        history = ckpt.info.get("history", []) if ckpt is not None else []
        first_step = earlier_steps(ckpt.info) if ckpt is not None else 0
        steps = [first_step + h["step"] for h in history]
        for curve, key in keys.items():
            self.plot.set_curve(curve, steps, [h[key] for h in history])
        self.plot.set_x_span(max(steps, default=1), first_step if steps else 0)  # a continued run over its own range
        self.plot.redraw()
