"""The conditional GAN tab's sections: the form that plays a game (from the shipped GAN or from scratch), the
share of each asked digit the classifier reads as asked, and what the model is, in words."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.core.cgan.panel_state import CGANRequest, StartFrom
from explorer.core.gan.session import CLASS_SAMPLES
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.ui.panels.gan.panel import nets_text, stabilisers
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.widgets.bounded_box import fit_to_field
from explorer.ui.widgets.status_label import status_label

FROM_GAN, FROM_SCRATCH = StartFrom.GAN.value, StartFrom.SCRATCH.value
OFFERED_STEPS = (1, 200_000)  # the form offers games a learner waits for; the CLI takes CGANConfig's all
TARGET = 95.0  # % of each asked digit read as asked: issue 41's bar


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
    """Steps and where to start from (a form over ``state``: an edit writes it, its changes show), Train and Stop,
    and the line on the model that is loaded."""

    def __init__(self, parent: QWidget | None = None, *, state: CGANRequest | None = None) -> None:
        super().__init__("Play the conditional game (G(z, y) against D(x, y))", parent)
        self.state = state = state if state is not None else CGANRequest()
        self.train_steps = QSpinBox()
        fit_to_field(self.train_steps, type(state), "steps", offered=OFFERED_STEPS)
        self.train_steps.setSingleStep(100)
        self.start_from = QComboBox()
        self.start_from.addItems([choice.value for choice in StartFrom])
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
        self._show(frozenset({"steps", "start_from"}))
        self.train_steps.valueChanged.connect(lambda steps: state.update(steps=int(steps)))
        self.start_from.currentTextChanged.connect(lambda text: state.update(start_from=StartFrom(text)))
        state.changed.connect(self._show)

    def _show(self, names: frozenset[str]) -> None:
        """Show the request's values that changed, without announcing them back to it."""
        if "steps" in names:
            with QSignalBlocker(self.train_steps):
                self.train_steps.setValue(self.state.steps)
        if "start_from" in names:
            with QSignalBlocker(self.start_from):
                self.start_from.setCurrentText(self.state.start_from.value)
