"""The GAN panel's left column: the settings, the buttons that play the game, slow motion, and what is going on."""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider

from explorer.core.gan import GANSnapshot
from explorer.core.gan.panel_state import GANPanelState
from explorer.core.runtime.limits import declared_range
from explorer.ui.panels.gan.game_settings import GameSettings
from explorer.ui.widgets.status_label import pin_width, status_label

WIDTH = 340  # fixed: its text changes must not resize the views beside it
SLOW_MOTION_OFFERED = 2.0  # the slider's end, s per iteration: slower than that shows nothing more
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
    down; read the latest iteration (``status``) and the generator at hand (``model_info``). The settings and
    slow motion are forms over ``state``; the buttons follow it."""

    def __init__(self, state: GANPanelState, parent: QWidget | None = None) -> None:
        super().__init__("The game of G and D", parent)
        self.state = state
        self.settings = GameSettings(state)
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
        low, high = declared_range(GANPanelState, "delay_s")
        self.delay.setRange(low, min(high, SLOW_MOTION_OFFERED))
        self.delay.setDecimals(2)
        self.delay.setSingleStep(0.05)  # type: ignore[arg-type]  # superqt's stub: int
        self.delay.setValue(state.delay_s)
        self.delay.valueChanged.connect(lambda seconds: state.update(delay_s=seconds))
        slow = QHBoxLayout()
        slow.addWidget(QLabel("slow motion (s per iteration)"))
        slow.addWidget(self.delay, 1)

        self.status = status_label(lines=4)
        self.model_info = status_label(lines=6)
        self.explanation = QLabel(EXPLANATION[state.mode])
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
        state.changed.connect(self._on_state_changed)
        self.show_game_state()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        """Show the game's help and slow motion, and enable what can be done now."""
        if "mode" in names:
            self.explanation.setText(EXPLANATION[self.state.mode])
        if "delay_s" in names:
            with QSignalBlocker(self.delay):
                self.delay.setValue(self.state.delay_s)
        if names & {"busy", "paused", "phase"}:
            self.show_game_state()

    def show_game_state(self) -> None:
        """Enable what the state allows now: Start (or Resume the paused game), Pause, Stop, Reset, the steps,
        and the settings while no game has moved."""
        state = self.state
        self.start_button.setEnabled(state.can_start)
        self.start_button.setText("Resume" if state.resumes else "Start")
        self.pause_button.setEnabled(state.can_pause)
        self.stop_button.setEnabled(state.can_stop)
        self.reset_button.setEnabled(state.can_reset)
        for button in self.step_buttons.values():
            button.setEnabled(state.can_step)
        self.settings.setEnabled(state.settings_open)

    def show_snapshot(self, snap: GANSnapshot) -> None:
        """The iteration, the losses and D's mean outputs ('–' for a net not stepped yet)."""

        def show(value: float) -> str:
            return "–" if math.isnan(value) else f"{value:.3f}"

        self.status.setText(
            f"Iteration {snap.step} of {snap.total_steps} ({snap.d_steps} D steps)\n"
            f"D loss {show(snap.d_loss)}   G loss {show(snap.g_loss)}\n"
            f"D(x) {show(snap.d_real)}   D(G(z)) {show(snap.d_fake)}"
        )
