"""The conditional GAN tab's sections: the form that plays a game (from the shipped GAN or from scratch), the
share of each asked digit the classifier reads as asked, and what the model is, in words."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from explorer.core.cgan.nets import CGANConfig
from explorer.core.families import FAMILIES
from explorer.core.gan.session import CLASS_SAMPLES
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.ui.panels.gan.panel import nets_text, stabilisers
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.panels.step_training import spin_box
from explorer.ui.widgets.status_label import status_label

FROM_GAN, FROM_SCRATCH = "the shipped GAN", "scratch (16 channels)"
ARCHITECTURE = ("latent_dim", "channels", "depth", "d_norm")  # what a game from the GAN must share with it
TARGET = 95.0  # % of each asked digit read as asked: issue 41's bar
SCRATCH: dict[str, Any] = {
    "channels": 16,
    "depth": 0,
    "ema": 0.0,
}  # a game a CPU plays fast enough to watch, as the GAN tab's


def started_from_gan(info: dict) -> str | None:
    """The file of the unconditional GAN a cGAN's runs began from (its record's chain), or None."""
    earlier = info.get("continues")
    while earlier:
        if earlier.get("kind") == "gan":
            return str(earlier.get("file", "a GAN"))
        earlier = earlier.get("continues")
    return None


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: its steps over all its runs (the GAN's before it included), its nets, what it
    started from, D's last outputs and the training time."""
    c, info = ckpt.config, ckpt.info
    text = f"Model: {steps_text(info)}, {nets_text(c)}, z of {c.get('latent_dim', '?')}{stabilisers(c)}"
    gan = started_from_gan(info)
    if gan:
        text += f"\nStarted from the unconditional GAN {gan}, its label pathways at zero"
    metrics = info.get("metrics", {})
    if "d_real" in metrics:
        text += f"\nLast D(x|y) {metrics['d_real']:.2f}, D(G(z|y)|y) {metrics['d_fake']:.2f}"
    return text + trained_text(info)


class AskedDigitsChart(pg.PlotWidget):
    """For each digit, the % of the digits G was asked for that the classifier reads as that digit; the target
    drawn as a dashed line. Bars made once and resized."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setTitle(f"read as asked ({CLASS_SAMPLES // 10} per digit, by the classifier)", color="#333", size="9pt")
        self.setLabel("left", "% read as asked")
        self.setMouseEnabled(False, False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.getAxis("bottom").setTicks([[(d, str(d)) for d in range(10)]])
        self.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.75, brush="#4c78a8", pen=None)
        self.addItem(self.bars)
        self.addItem(pg.InfiniteLine(TARGET, angle=0, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        self.setXRange(-0.6, 9.6, padding=0)
        self.setYRange(0, 100, padding=0.02)
        self.shares = np.zeros(10)

    def set_shares(self, shares: np.ndarray | None) -> None:
        """(10,) shares in [0, 1] (NaN: not asked); None clears the bars."""
        self.shares = np.zeros(10) if shares is None else np.nan_to_num(np.asarray(shares, dtype=float))
        self.bars.setOpts(height=100.0 * self.shares)


class CGANTrainingBox(QGroupBox):
    """Steps and where to start from, Train and Stop, and the line on the model that is loaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Play the conditional game (G(z, y) against D(x, y))", parent)
        self.train_steps = spin_box(1, 200_000, 500, 100)
        self.start_from = QComboBox()
        self.start_from.addItems([FROM_GAN, FROM_SCRATCH])
        self.start_from.setToolTip(
            "From the shipped unconditional GAN with the label pathways at zero, so the first step is the GAN's own "
            "(the digits take hold within a few hundred steps), or from random weights (slow on a CPU)"
        )
        self.train_button = QPushButton("Train")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.model_info = status_label("No model loaded.", 5)
        form = QFormLayout()
        form.addRow("steps", self.train_steps)
        form.addRow("start from", self.start_from)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.model_info)

    def training_config(self) -> CGANConfig:
        """The game the form describes; from the shipped GAN, with its nets (CheckpointError if that file is
        missing or unreadable)."""
        steps = self.train_steps.value()
        if self.start_from.currentText() == FROM_SCRATCH:
            return CGANConfig(steps=steps, **SCRATCH)
        path = FAMILIES["gan"].default_checkpoint
        if not path.is_file():
            raise CheckpointError(
                f"There is no shipped GAN to start from ({path.name} is not there): choose to start from scratch."
            )
        gan = load_checkpoint(path, kind="gan")
        shared = {k: gan.config[k] for k in ARCHITECTURE if k in gan.config}
        return CGANConfig(steps=steps, **shared, init_from=str(path))
