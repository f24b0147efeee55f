"""The status bar's job controls: what the one background job is doing, for which panel, how
long it has run and has left, with Pause / Resume and Stop; and the compute device.

A message belongs to the panel whose job sent it: while a job runs its line shows on every
tab (it holds the one runner), named after its panel when another tab is open; once it has
ended, its last line ("… stopped") stays with its own panel, and another tab shows its own.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSizePolicy, QStatusBar

from explorer.core.runtime.progress import time_left
from explorer.ui.worker import Runner


class JobStatus(QObject):
    """Adds the job line, progress bar, Pause and Stop and the device to ``bar``, and keeps them true."""

    def __init__(self, bar: QStatusBar, runner: Runner, device_text: str) -> None:
        super().__init__(bar)
        self.runner = runner
        self.job_label = QLabel("")
        # Ignored width: a long line is cut by the label, never widening the bar or moving its buttons.
        self.job_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(200)
        self.progress.setTextVisible(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(runner.stop)
        self.device_label = QLabel(f"Compute device: {device_text}")
        bar.addWidget(self.job_label, 1)
        for widget in (self.progress, self.pause_button, self.stop_button, self.device_label):
            bar.addPermanentWidget(widget)
        self.shown_panel = ""  # the title of the tab on show
        self.owner = ""  # the panel whose job runs, or ran last
        self.messages: dict[str, str] = {}  # each panel's last job line
        self._started = 0.0
        runner.busy_changed.connect(self._on_busy_changed)
        runner.paused_changed.connect(self._on_paused_changed)
        runner.progress.connect(self._on_progress)
        self._on_busy_changed(False)

    def show_panel(self, title: str) -> None:
        """The tab on show changed: show its panel's line (or the running job's)."""
        self.shown_panel = title
        self._show()

    def _on_busy_changed(self, busy: bool) -> None:
        # Enable rather than show/hide: a change of layout would repaint the whole window.
        self.pause_button.setEnabled(busy)
        self.stop_button.setEnabled(busy)
        if busy:
            self.owner = self.runner.owner or self.shown_panel
            self._started = time.monotonic()
        self._show()

    def _on_paused_changed(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self._show()

    def _on_pause_clicked(self) -> None:
        if self.runner.paused:
            self.runner.resume()
        else:
            self.runner.pause()

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        clock = time_left(fraction, time.monotonic() - self._started) if self.runner.busy else ""
        self.messages[self.owner] = text + (f" — {clock}" if clock else "")
        self._show()

    def _show(self) -> None:
        if self.runner.busy:
            text = self.messages.get(self.owner, "")
            if self.owner and self.owner != self.shown_panel:
                text = f"{self.owner} tab: {text}"
            if self.runner.paused:
                text += " (paused)"
            self.progress.setEnabled(True)
        else:
            text = self.messages.get(self.shown_panel, "")
            self.progress.setEnabled(self.owner == self.shown_panel)
        self.job_label.setText(text)
        self.job_label.setToolTip(text)
