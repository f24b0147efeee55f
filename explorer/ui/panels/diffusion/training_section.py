"""The training section: the train form, the loss curve, samples while training, and what the model is."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.diffusion import DDPMConfig, training_runs
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: its steps over all its runs, schedule, T, width, final loss and training time."""
    c, info = ckpt.config, ckpt.info
    text = (f"Model: {steps_text(info)}, "
            f"{c.get('schedule', '?')} schedule, T = {c.get('timesteps', '?')}, {c.get('base_channels', '?')} channels")
    if "final_loss" in info.get("metrics", {}):
        text += f"\nFinal loss {info['metrics']['final_loss']:.4f}"
    return text + trained_text(info)


class TrainingSection(QGroupBox):
    """Algorithm 1 of Ho et al. from the form's settings; the panel runs it and feeds the snapshots in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Train from scratch on MNIST (Algorithm 1: predict the noise, loss ‖ε − ε_θ(x_t, t)‖²)", parent)
        defaults = DDPMConfig()
        self.train_steps = QSpinBox()
        self.train_steps.setRange(1, 200_000)
        self.train_steps.setValue(2000)
        self.train_steps.setSingleStep(500)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(8, 1024)
        self.batch_size.setValue(defaults.batch_size)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1e-1)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(defaults.lr)
        self.train_schedule = QComboBox()
        self.train_schedule.addItems(["linear", "cosine"])
        form = QFormLayout()
        form.addRow("steps", self.train_steps)
        form.addRow("batch size", self.batch_size)
        form.addRow("learning rate", self.lr)
        form.addRow("schedule", self.train_schedule)
        self.train_button = QPushButton("Train")
        self.model_info = status_label("No model loaded.", 6)
        self.model_info.setMinimumWidth(260)
        about = QVBoxLayout()
        about.addWidget(self.train_button)
        about.addWidget(self.model_info)
        about.addStretch()
        self.loss_plot = CurvePlot("training loss ‖ε − ε̂‖²", "step", "MSE")
        self.loss_plot.add_curve("train", "#1f77b4")
        self.loss_plot.setMinimumSize(260, 120)
        self.train_samples = ImageView("samples while training<br>(DDIM-25, fixed noise)")
        self.train_samples.setMinimumSize(150, 120)
        row = QHBoxLayout(self)
        row.addLayout(form)
        row.addLayout(about)
        row.addWidget(self.loss_plot, 3)
        row.addWidget(self.train_samples, 1)

    def training_config(self) -> DDPMConfig:
        return DDPMConfig(steps=self.train_steps.value(), batch_size=self.batch_size.value(), lr=self.lr.value(),
                          schedule=self.train_schedule.currentText())

    def start_loss(self, steps: int) -> None:
        """An empty loss curve over the ``steps`` of a run about to start."""
        self.loss_plot.clear_data()
        self.loss_plot.set_x_span(steps)
        self.loss_plot.redraw()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """Plot a model's last run's recorded losses, counted after its earlier runs (none: clear)."""
        if ckpt is None:
            self.show_history([])
            return
        earlier_steps = sum(r["steps"] for r in training_runs(ckpt.info)[:-1])  # the history is of the last run
        self.show_history(ckpt.info.get("history", []), earlier_steps)

    def show_history(self, history: list[dict], first_step: int = 0) -> None:
        """Plot a checkpoint's recorded loss history, its steps counted from ``first_step``."""
        self.loss_plot.clear_data()
        steps = [first_step + h["step"] for h in history]
        self.loss_plot.set_curve("train", steps, [h["loss"] for h in history])
        self.loss_plot.set_x_span(max(steps, default=1))
        self.loss_plot.redraw()
