"""The status bar's job controls for the tab on show: what its panel's job is doing, how long it has
run and has left, with Pause / Resume and Stop; a note on the other tabs' running jobs; and the device.

Each tab has its own runner, so a job of one tab never waits for another's. The line, the progress
bar and the buttons speak for the tab on show; its last line ("… stopped") stays with it.
"""

from __future__ import annotations

import time
from functools import partial

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from explorer.core.runtime.progress import time_left
from explorer.ui.widgets.elided_label import ElidedLabel
from explorer.ui.worker import Runner


class JobStatus(QObject):
    """Adds the job line, progress bar, Pause and Stop and the device to ``bar``, and keeps them true
    to the runner of the tab on show (``runners``: each panel's, by its title)."""

    def __init__(self, bar: QStatusBar, runners: dict[str, Runner], device_text: str) -> None:
        super().__init__(bar)
        self.runners = runners
        # A long line (several tabs' jobs) ends in "…", never widening the bar or moving its buttons.
        self.job_label = ElidedLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(200)
        self.progress.setTextVisible(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(lambda: self.runner.stop())
        self.device_label = QLabel(f"Compute device: {device_text}")
        bar.addWidget(self.job_label, 1)
        for widget in (self.progress, self.pause_button, self.stop_button, self.device_label):
            bar.addPermanentWidget(widget)
        self.shown_panel = next(iter(runners))  # the title of the tab on show
        self.messages: dict[str, str] = {}  # each panel's last job line
        self.fractions: dict[str, float] = {}  # each panel's last progress
        self._started: dict[str, float] = {}
        for title, runner in runners.items():
            runner.busy_changed.connect(partial(self._on_busy_changed, title))
            runner.paused_changed.connect(lambda _paused: self._show())
            runner.progress.connect(partial(self._on_progress, title))
        self._show()

    @property
    def runner(self) -> Runner:
        """The runner of the tab on show: the one Pause and Stop act on."""
        return self.runners[self.shown_panel]

    def show_panel(self, title: str) -> None:
        """The tab on show changed: show its panel's line and job."""
        self.shown_panel = title
        self._show()

    def _on_busy_changed(self, title: str, busy: bool) -> None:
        if busy:
            self._started[title] = time.monotonic()
        self._show()

    def _on_pause_clicked(self) -> None:
        if self.runner.paused:
            self.runner.resume()
        else:
            self.runner.pause()

    def _on_progress(self, title: str, fraction: float, text: str) -> None:
        runner = self.runners[title]
        clock = time_left(fraction, time.monotonic() - self._started.get(title, 0.0)) if runner.busy else ""
        self.messages[title] = text + (f" — {clock}" if clock else "")
        self.fractions[title] = fraction
        if title == self.shown_panel:
            self._show()

    def others_busy(self) -> list[str]:
        """The titles of the other tabs whose jobs run now."""
        return [title for title, runner in self.runners.items() if runner.busy and title != self.shown_panel]

    def _show(self) -> None:
        runner = self.runner
        # Enable rather than show/hide: a change of layout would repaint the whole window.
        self.pause_button.setEnabled(runner.busy)
        self.stop_button.setEnabled(runner.busy)
        self.pause_button.setText("Resume" if runner.paused else "Pause")
        text = self.messages.get(self.shown_panel, "")
        if runner.paused:
            text += " (paused)"
        self.progress.setValue(round(self.fractions.get(self.shown_panel, 0.0) * 1000))
        self.progress.setEnabled(runner.busy)
        if others := self.others_busy():
            text += ("   · " if text else "") + "also running: " + ", ".join(others)
        self.job_label.setText(text)
