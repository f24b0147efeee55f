"""The GAN panel's left column: the settings, the buttons that play the game, slow motion, and what is going on."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from explorer.core.gan import GANSnapshot
from explorer.ui.panels.gan.game_settings import GameSettings
from explorer.ui.widgets.status_label import pin_width, status_label

WIDTH = 340  # fixed: its text changes must not resize the views beside it
# Slow motion a game starts with, s per iteration: the toy game's 2,000 iterations would be over in seconds at
# full speed, too fast to watch G's points spread or collapse; an MNIST iteration is slow enough by itself.
DEFAULT_DELAY = {"mnist": 0.0, "toy": 0.02}
EQUILIBRIUM = (
    "D pushes the first up and the second down; G pushes the second up. When G's samples match the "
    "data D can only guess: D(x) = D(G(z)) = 0.5 and D's loss is 2 log 2 ≈ 1.39 (dashed lines; label smoothing s "
    "moves them to D = (1 − s)/2 and its loss). "
)
EXPLANATION = {  # by game
    "mnist": "D(x) is D's probability that a real digit is real, D(G(z)) that a fake one is. "
    + EQUILIBRIUM
    + "Minimax G minimises log(1 − D(G(z))), whose gradient vanishes when D rejects fakes confidently "
    "(D(G(z)) ≈ 0), early in training; the non-saturating −log D(G(z)) pushes hardest exactly then.",
    "toy": "D(x) is D's probability that a point x of the ring is real, D(G(z)) that a generated one is. "
    + EQUILIBRIUM
    + "The heat map is D(x) over the plane: red where D says real, blue where it says fake. "
    "To see mode collapse, set G's learning rate to 0.005: its points bunch into one or two clumps that chase "
    "D around the ring instead of covering its 8 modes. Tick Theory under the plane for the best D, D*, "
    "beside D, and the JS divergence G minimises against it.",
}


class GameControls(QGroupBox):
    """Start, pause, stop and reset the game, or step one player at a time ('d', 'g', 'both'); slow it
    down; read the latest iteration (``status``) and the generator at hand (``model_info``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("The game of G and D", parent)
        self.settings = GameSettings()
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the untrained nets (same seed: same weights and fixed noise), paused")
        self.step_buttons: dict[str, QPushButton] = {}
        for which, text, tip in (
            ("d", "Step D", "one ascent step of D, G fixed"),
            ("g", "Step G", "one descent step of G, D fixed"),
            ("both", "Step both", "one iteration: k D steps, then one G step"),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            self.step_buttons[which] = button
        buttons = QGridLayout()
        for col, button in enumerate((self.start_button, self.pause_button, self.stop_button, self.reset_button)):
            buttons.addWidget(button, 0, col)
        for col, button in enumerate(self.step_buttons.values()):
            buttons.addWidget(button, 1, col + (col > 0), 1, 1 + (col == 0))

        self.delay = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.delay.setRange(0.0, 2.0)
        self.delay.setDecimals(2)
        self.delay.setSingleStep(0.05)  # type: ignore[arg-type]  # superqt's stub: int
        self.delay.setValue(0.0)
        slow = QHBoxLayout()
        slow.addWidget(QLabel("slow motion (s per iteration)"))
        slow.addWidget(self.delay, 1)

        self.status = status_label(lines=4)
        self.model_info = status_label(lines=6)
        self.explanation = QLabel(EXPLANATION["mnist"])
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet("color: #444")

        column = QVBoxLayout(self)
        column.addWidget(self.settings)
        column.addLayout(buttons)
        column.addLayout(slow)
        column.addWidget(self.status)
        column.addWidget(self.model_info)
        column.addWidget(self.explanation)
        column.addStretch()
        self.setFixedWidth(WIDTH)
        for label in (self.status, self.model_info):  # the status changes with every snapshot
            pin_width(label, WIDTH, self, column)

    def show_mode(self, mode: str, playing: bool = False) -> None:
        """The help for the game ``mode`` ('mnist' or 'toy'), and unless a game is ``playing`` its slow motion."""
        self.explanation.setText(EXPLANATION[mode])
        if not playing:
            self.delay.setValue(DEFAULT_DELAY[mode])

    def show_game_state(self, playing: bool, busy: bool, paused: bool, untouched: bool = False) -> None:
        """Enable what can be done now: ``playing`` says whether the runner's job is this panel's game;
        ``untouched``: it is paused before its first move, so new settings can still replace it."""
        self.start_button.setEnabled((playing and paused) or not busy)
        self.start_button.setText("Resume" if playing and paused else "Start")
        self.pause_button.setEnabled(playing and not paused)
        self.stop_button.setEnabled(playing)
        self.reset_button.setEnabled(playing or not busy)
        for button in self.step_buttons.values():
            button.setEnabled((playing and paused) or not busy)
        self.settings.setEnabled(not playing or (paused and untouched))

    def show_snapshot(self, snap: GANSnapshot) -> None:
        """The iteration, the losses and D's mean outputs ('–' for a net not stepped yet)."""

        def show(value: float) -> str:
            return "–" if math.isnan(value) else f"{value:.3f}"

        self.status.setText(
            f"Iteration {snap.step} of {snap.total_steps} ({snap.d_steps} D steps)\n"
            f"D loss {show(snap.d_loss)}   G loss {show(snap.g_loss)}\n"
            f"D(x) {show(snap.d_real)}   D(G(z)) {show(snap.d_fake)}"
        )
