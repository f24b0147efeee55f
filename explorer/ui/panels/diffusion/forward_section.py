"""The forward-process section: a test digit noised to the chosen t by q(x_t | x_0), with no model."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout, QWidget

from explorer.core.diffusion import NoiseSchedule, q_sample
from explorer.core.runtime.data import Split
from explorer.ui.panels.diffusion.display import abar_text
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.image_view import ImageView

FORWARD_NOISE_SEED = 0
FORWARD_HELP = (
    "x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε: the digit fades as the noise grows. By t = T the digit is gone and "
    "x_T ≈ N(0, I). No network is involved: any x_t can be made in one step from x_0."
)
ARROW_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)


class TSlider(QSlider):
    """The forward t slider: with the focus it keeps the arrow keys, which elsewhere step the chain."""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and event.key() in ARROW_KEYS:
            event.accept()
            return True
        return super().event(event)


class ForwardSection(QGroupBox):
    """x_0, a fixed ε and x_t side by side; the t slider runs over the paper's t = 0..T (0: the clean digit)."""

    t_changed = Signal(int)  # the t now shown, for the schedule plot's marker

    def __init__(self, test: Split, schedule: NoiseSchedule, parent: QWidget | None = None) -> None:
        super().__init__("Forward process q(x_t | x_0): no model needed", parent)
        self.test = test
        self.schedule = schedule
        g = torch.Generator().manual_seed(FORWARD_NOISE_SEED)
        self.forward_noise = torch.randn(1, 1, 28, 28, generator=g)  # the ε of the forward view, fixed
        self.digit = QSpinBox()
        self.digit.setRange(0, len(test.images) - 1)
        self.digit.setPrefix("test digit #")
        self.digit.valueChanged.connect(self.update_forward)
        self.forward_t = TSlider(Qt.Orientation.Horizontal)
        self.forward_t.valueChanged.connect(self.update_forward)
        self.forward_views = [ImageView(name) for name in ("x_0", "ε (fixed)", "x_t")]
        images = QHBoxLayout()
        for view in self.forward_views:
            view.setMinimumSize(80, 96)
            images.addWidget(view)
        self.forward_numbers = QLabel()
        # A fixed size: Qt then skips the relayout (and whole-window repaint) a new text asks for.
        widest = self.forward_numbers.fontMetrics().horizontalAdvance("ᾱ_t = 0.00e-00:  x_t = 0.000·x_0 + 0.000·ε")
        self.forward_numbers.setFixedSize(widest + 12, self.forward_numbers.fontMetrics().lineSpacing() + 4)
        row = QHBoxLayout()
        row.addWidget(self.digit)
        row.addStretch()
        self.help = HelpButton(FORWARD_HELP)
        row.addWidget(self.help)
        # The slider has a row of its own: the column's whole width for T = 1000 steps.
        t_row = QHBoxLayout()
        t_row.addWidget(QLabel("t"))
        t_row.addWidget(self.forward_t, 1)
        self.forward_t_value = QLabel()
        metrics = self.forward_t_value.fontMetrics()
        self.forward_t_value.setFixedSize(
            metrics.horizontalAdvance("= 10000"), metrics.lineSpacing() + 4
        )  # no relayout
        t_row.addWidget(self.forward_t_value)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(t_row)
        layout.addLayout(images, 1)
        layout.addWidget(self.forward_numbers)

    def set_schedule(self, schedule: NoiseSchedule) -> None:
        """Noise by ``schedule`` from now on; the slider reaches its T."""
        self.schedule = schedule
        self.forward_t.setRange(0, schedule.T)
        self.update_forward()

    def forward_image(self, index: int, t: int) -> np.ndarray:
        """x_t of test digit ``index`` at the paper's t (0: the digit itself), in [-1, 1], (28, 28)."""
        x0 = torch.from_numpy(self.test.images[index].astype(np.float32) / 127.5 - 1.0)[None, None]
        if t == 0:
            return x0[0, 0].numpy()
        return q_sample(self.schedule, x0, torch.tensor([t - 1]), self.forward_noise)[0, 0].numpy()

    def update_forward(self) -> None:
        index, t = self.digit.value(), self.forward_t.value()
        x_t = self.forward_image(index, t)
        self.forward_views[0].set_image(self.test.images[index].astype(np.float32) / 255.0)
        self.forward_views[1].set_image(np.clip((self.forward_noise[0, 0].numpy() / 3 + 1) / 2, 0, 1))
        self.forward_views[2].set_image(np.clip((x_t + 1) / 2, 0, 1))
        abar = 1.0 if t == 0 else float(self.schedule.alphas_cumprod[t - 1])
        self.forward_t_value.setText(f"= {t}")
        self.t_changed.emit(t)
        self.forward_numbers.setText(
            f"ᾱ_t = {abar_text(abar)}:  x_t = {np.sqrt(abar):.3f}·x_0 + {np.sqrt(1 - abar):.3f}·ε"
        )
