"""The training section: the train form, train and test NLL curves, samples while training, and what the model is."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from explorer.core.pixelcnn import PixelCNNConfig, PixelCNNSnapshot
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.panels.step_training import StepTrainingSection, spin_box
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_grid import tile


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: size, steps over all its runs, test NLL and training time."""
    c, info = ckpt.config, ckpt.info
    text = (
        f"Model: gated PixelCNN, {c.get('layers', '?')} layers × {c.get('channels', '?')} channels, {steps_text(info)}"
    )
    metrics = info.get("metrics", {})
    if "test_nll" in metrics:
        text += f"\nTest −log p(x) {metrics['test_nll']:.1f} nats ({metrics['test_bits_per_pixel']:.3f} bits/pixel)"
    return text + trained_text(info)


class TrainingSection(StepTrainingSection):
    """Maximum likelihood from the form's settings; the panel runs it and feeds the snapshots in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        defaults = PixelCNNConfig()
        plot = CurvePlot("−log p(x), nats per digit", "step", "nats")
        plot.add_curve("train", "#1f77b4")
        plot.add_curve("test", "#d62728", dashed=True, symbol="o")
        super().__init__(
            "Train from scratch on MNIST (maximise log p(x) = Σᵢ log p(xᵢ | x<ᵢ), exactly)",
            500,
            defaults.lr,
            plot,
            "samples while training",
            parent,
        )
        self.nll_plot = plot
        self.channels = spin_box(8, 128, defaults.channels)
        self.layers = spin_box(1, 20, defaults.layers)
        self.lay_out(
            [
                ("steps", self.train_steps),
                ("channels", self.channels),
                ("layers", self.layers),
                ("learning rate", self.lr),
            ]
        )

    def training_config(self) -> PixelCNNConfig:
        return PixelCNNConfig(
            steps=self.train_steps.value(),
            channels=self.channels.value(),
            layers=self.layers.value(),
            lr=self.lr.value(),
        )

    def add(self, snap: PixelCNNSnapshot) -> None:
        """Record a snapshot's points (drawn at the next redraw)."""
        self.nll_plot.add_point("train", snap.step, snap.train_nll)
        if snap.test_nll is not None:
            self.nll_plot.add_point("test", snap.step, snap.test_nll)

    def show_samples(self, samples: np.ndarray) -> None:
        self.train_samples.set_image(tile(samples, 4))

    def show_model_samples(self, images: np.ndarray) -> None:
        """The loaded model's own written digits (its first 16), until a run's samples replace them."""
        self.show_samples(images[:16])
        self.train_samples.label.setText(f"{self.samples_title}<br><i>now: the loaded model's digits</i>")

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """Plot a model's last run's recorded train and test NLL, counted after its earlier runs (none: clear)."""
        self.show_curves(ckpt, {"train": "train_nll", "test": "test_nll"})
