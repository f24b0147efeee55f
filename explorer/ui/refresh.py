"""Spread view updates over turns of the event loop, so no single turn paints everything."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class StaggeredRefresh(QObject):
    """Runs one requested update per timer tick; a newer request for the same view replaces
    the pending one. Qt paints every dirty view of a window in one pass, so updating the
    curves, the scatter and the decoders in separate passes keeps each pass short. The
    interval leaves room for the pass (Qt paints a few milliseconds after a change) before
    the next update, so that two updates are not painted together."""

    def __init__(self, interval_ms: int = 40, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[str, Callable[[], None]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._run_one)

    def request(self, key: str, update: Callable[[], None]) -> None:
        self._pending[key] = update
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Run everything pending now."""
        while self._pending:
            self._run_one()

    def _run_one(self) -> None:
        if not self._pending:
            self._timer.stop()
            return
        key = next(iter(self._pending))
        self._pending.pop(key)()
