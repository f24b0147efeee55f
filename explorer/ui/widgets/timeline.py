"""A timeline over stored frames: step back / forward, Play / Pause at a chosen speed, a slider, the frame's line."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.widgets.focus import set_enabled


class Timeline(QWidget):
    """Emits ``frame_changed(index)`` whenever the shown frame changes (slider, buttons or playback).

    Playback runs on a QTimer of the GUI thread, one frame per tick, and stops at the last frame.
    """

    frame_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.back_button = QPushButton("◀")
        self.back_button.setToolTip("Step back: one timestep towards the noise x_T (←)")
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button = QPushButton("▶")
        self.forward_button.setToolTip("Step forward: one timestep towards the digit x_0 (→)")
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play or pause the chain (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        width = QFontMetrics(self.play_button.font()).horizontalAdvance("Pause") + 28
        self.play_button.setFixedWidth(width)  # Play and Pause take the same room
        for button in (self.back_button, self.forward_button):
            button.setFixedWidth(QFontMetrics(button.font()).horizontalAdvance("◀") + 24)
        self.fps = QSpinBox()
        self.fps.setRange(1, 240)
        self.fps.setValue(30)
        self.fps.setSuffix(" frames/s")
        self.fps.setToolTip("Playback speed")
        self.fps.valueChanged.connect(self._on_fps_changed)
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.RichText)
        # A fixed size: Qt then skips the relayout that a label's new text asks for, which
        # would repaint the whole window at every frame, most of a scrub's time (docs/measurements.md).
        bold = self.info.font()
        bold.setBold(True)
        widest = QFontMetrics(bold).horizontalAdvance("DDIM step 1000 / 1000   t = 1000   ᾱ_t = 0.00e-00   sample #63")
        self.info.setFixedSize(widest + 16, QFontMetrics(bold).lineSpacing() + 4)
        self._count = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self._on_fps_changed(self.fps.value())

        controls = QHBoxLayout()
        for widget in (self.back_button, self.play_button, self.forward_button):
            controls.addWidget(widget)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.fps)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.info)
        self.set_count(0)

    def add_shortcuts(self, owner: QWidget, step: str | None = None) -> None:
        """Space plays or pauses, ← and → step by one frame, wherever the focus is inside ``owner`` (a spin box
        or a slider there keeps the keys it uses); the buttons' tooltips name ``step`` (e.g. "one pixel")."""
        for key, action in (
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_Left, lambda: self.step(-1)),
            (Qt.Key.Key_Right, lambda: self.step(1)),
        ):
            shortcut = QShortcut(QKeySequence(key), owner, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        if step:
            self.back_button.setToolTip(f"Step back {step} (←)")
            self.forward_button.setToolTip(f"Step forward {step} (→)")

    @property
    def count(self) -> int:
        return self._count

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def frame(self) -> int:
        return self.slider.value()

    def set_count(self, count: int) -> None:
        """Let the slider reach frames 0..count-1 (0: nothing to show, the timeline is disabled)."""
        self._count = count
        set_enabled(self, count > 0)
        self.slider.setMaximum(max(count - 1, 0))
        if count == 0:
            self.pause()
        self._update_buttons()

    def set_frame(self, index: int) -> None:
        self.slider.setValue(index)

    def step(self, delta: int) -> None:
        """Move ``delta`` frames (clamped to the stored ones)."""
        self.set_frame(min(max(self.slider.value() + delta, 0), self.slider.maximum()))

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if not self.count:
            return
        if self.slider.value() >= self.slider.maximum():
            self.set_frame(0)  # Play at the end starts again from x_T
        self._timer.start()
        self.play_button.setText("Pause")

    def pause(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play")

    def _on_tick(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.pause()
        else:
            self.step(1)

    def _on_fps_changed(self, fps: int) -> None:
        self._timer.setInterval(max(1, round(1000 / fps)))

    def _on_value_changed(self, index: int) -> None:
        self._update_buttons()
        self.frame_changed.emit(index)

    def _update_buttons(self) -> None:
        value = self.slider.value()
        set_enabled(self.back_button, value > 0)
        set_enabled(self.forward_button, value < self.slider.maximum())
