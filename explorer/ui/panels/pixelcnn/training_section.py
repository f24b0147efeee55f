"""The training section: the train form, train and test NLL curves, samples while training, and what the model is."""

from __future__ import annotations

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

from explorer.core.pixelcnn import PixelCNNConfig, PixelCNNSnapshot
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.training import training_runs
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: size, steps over all its runs, test NLL and training time."""
    c, info = ckpt.config, ckpt.info
    text = f"Model: gated PixelCNN, {c.get('layers', '?')} layers × {c.get('channels', '?')} channels, {steps_text(info)}"
    metrics = info.get("metrics", {})
    if "test_nll" in metrics:
        text += f"\nTest −log p(x) {metrics['test_nll']:.1f} nats ({metrics['test_bits_per_pixel']:.3f} bits/pixel)"
    return text + trained_text(info)


class TrainingSection(QGroupBox):
    """Maximum likelihood from the form's settings; the panel runs it and feeds the snapshots in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Train from scratch on MNIST (maximise log p(x) = Σᵢ log p(xᵢ | x<ᵢ), exactly)", parent)
        defaults = PixelCNNConfig()
        self.train_steps = QSpinBox()
        self.train_steps.setRange(1, 200_000)
        self.train_steps.setValue(500)
        self.train_steps.setSingleStep(100)
        self.channels = QSpinBox()
        self.channels.setRange(8, 128)
        self.channels.setValue(defaults.channels)
        self.layers = QSpinBox()
        self.layers.setRange(1, 20)
        self.layers.setValue(defaults.layers)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-1)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(defaults.lr)
        form = QFormLayout()
        form.addRow("steps", self.train_steps)
        form.addRow("channels", self.channels)
        form.addRow("layers", self.layers)
        form.addRow("learning rate", self.lr)
        self.train_button = QPushButton("Train")
        self.model_info = status_label("No model loaded.", 5)
        self.model_info.setMinimumWidth(260)
        about = QVBoxLayout()
        about.addWidget(self.train_button)
        about.addWidget(self.model_info)
        about.addStretch()
        self.nll_plot = CurvePlot("−log p(x), nats per digit", "step", "nats")
        self.nll_plot.add_curve("train", "#1f77b4")
        self.nll_plot.add_curve("test", "#d62728", dashed=True, symbol="o")
        self.nll_plot.setMinimumSize(260, 120)
        self.train_samples = ImageView("samples while training")
        self.train_samples.setMinimumSize(150, 120)
        row = QHBoxLayout(self)
        row.addLayout(form)
        row.addLayout(about)
        row.addWidget(self.nll_plot, 3)
        row.addWidget(self.train_samples, 1)

    def training_config(self) -> PixelCNNConfig:
        return PixelCNNConfig(steps=self.train_steps.value(), channels=self.channels.value(),
                              layers=self.layers.value(), lr=self.lr.value())

    def start(self, steps: int) -> None:
        """Empty curves over the ``steps`` of a run about to start."""
        self.nll_plot.clear_data()
        self.nll_plot.set_x_span(steps)
        self.nll_plot.redraw()

    def add(self, snap: PixelCNNSnapshot) -> None:
        """Record a snapshot's points (drawn at the next redraw)."""
        self.nll_plot.add_point("train", snap.step, snap.train_nll)
        if snap.test_nll is not None:
            self.nll_plot.add_point("test", snap.step, snap.test_nll)

    def show_samples(self, samples) -> None:
        self.train_samples.set_image(tile(samples, 4))

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """Plot a model's last run's recorded train and test NLL, counted after its earlier runs (none: clear)."""
        self.nll_plot.clear_data()
        if ckpt is not None:
            history = ckpt.info.get("history", [])
            first = sum(r["steps"] for r in training_runs(ckpt.info)[:-1])
            steps = [first + h["step"] for h in history]
            self.nll_plot.set_curve("train", steps, [h["train_nll"] for h in history])
            self.nll_plot.set_curve("test", steps, [h["test_nll"] for h in history])
            self.nll_plot.set_x_span(max(steps, default=1))
        self.nll_plot.redraw()
