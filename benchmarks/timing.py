"""What the GUI benchmarks share: a summary of latencies, and the lateness of a GUI-thread timer."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEventLoop, Qt, QTimer


def stats(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"p50 {np.median(a):6.2f} ms   p99 {np.percentile(a, 99):6.2f} ms   max {a.max():6.2f} ms   (n={len(a)})"


def timer_lateness(seconds: float, start: Callable[[], None] | None = None, interval_ms: int = 5) -> list[float]:
    """How late (ms) each tick of a ``interval_ms`` precise timer on the GUI thread comes, for
    ``seconds`` of the event loop; ``start`` (e.g. pressing Train) runs as the timer starts."""
    late: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        late.append(max(0.0, (now - last[0]) * 1000 - interval_ms))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start()
    last[0] = time.perf_counter()
    if start is not None:
        start()
    loop.exec()
    timer.stop()
    return late


def full_collection_ms() -> float:
    """How long a full cyclic collection (the oldest generation) holds the thread that runs it."""
    import gc

    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000
