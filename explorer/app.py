"""Start the GUI: QApplication, the main window, and the --screenshot mode."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that the CLI starts without Qt
    from PySide6.QtCore import QCoreApplication

    from explorer.ui.main_window import MainWindow


def configure() -> None:
    """Process-wide settings for the GUI process (the app and the benchmarks share them); see ``start_up``."""
    from explorer.ui.start_up import configure as configure_gui

    configure_gui()


class GarbageCollector:
    """Python's automatic cyclic collector off, and the same generational collections run on a timer of
    the GUI's event loop instead (pyqtgraph's GarbageCollector, without importing pyqtgraph before the
    window paints)."""

    def __init__(self, app: QCoreApplication, interval_s: float) -> None:
        from PySide6.QtCore import QTimer

        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(app)
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval_s * 1000))

    def check(self) -> None:
        """Collect a generation where its count has passed its threshold, as the automatic collector would."""
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.threshold[generation]:
                return
            gc.collect(generation)


def collect_garbage_on_the_gui_thread(app: QCoreApplication, interval_s: float = 1.0) -> GarbageCollector:
    """Turn Python's automatic cyclic collector off and collect on a timer of the GUI's event loop instead;
    return it, kept alive by ``app``.

    Left automatic, the collector runs at whatever allocation crosses its threshold: in a worker thread, or
    in the middle of a Qt call. Seen here: a pyqtgraph ViewBox's QMenu, part of a reference cycle, was freed
    inside a signal disconnect, and its destructor waited for the connection lock that disconnect held, for
    ever. On the timer, Qt objects in cycles are freed between events, on the thread that owns them."""
    collector = GarbageCollector(app, interval_s)
    app.garbage_collector = collector  # type: ignore[attr-defined]  # the timer lives as long as the app
    return collector


def freeze_when_built(window: MainWindow) -> None:
    """Once every panel is built, collect once and freeze what exists (``gc.freeze``): the models, data,
    plots and widgets of start-up, which live as long as the app, leave the collector's reach.

    A full collection on the event loop's timer scanned all of them, ~300,000 objects: a 50 ms stall of
    an idle window now and then, a dropped frame in the middle of a drag. After the freeze it scans only
    what was made since."""
    import gc

    def on_built(_name: str) -> None:
        if len(window.tabs.built) == len(window.tabs.names):
            window.tabs.panel_built.disconnect(on_built)
            gc.collect()
            gc.freeze()

    window.tabs.panel_built.connect(on_built)


def settle(
    app: QCoreApplication, window: MainWindow, timeout_s: float = 120.0, quiet_s: float = 0.5, every_tab: bool = False
) -> None:
    """Let the window finish what it starts on its own (panels built, the opening chain of the tab on show
    drawn; ``every_tab``: every tab's opening job done).

    Panels are built one per turn of the event loop and start their opening jobs on their own runners
    (some after a short settle timer), so one idle moment is not the end: wait until every panel is
    built and the runner(s) have stayed idle for ``quiet_s``, longer than any such timer."""
    import time

    deadline = time.monotonic() + timeout_s
    idle_since = None
    while time.monotonic() < deadline:
        app.processEvents()
        now = time.monotonic()
        built = window.tabs.settled
        if not built or (window.busy if every_tab else window.runner.busy):
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= quiet_s:
            break
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


def open_window(device: str | None, device_text: str, panel: str) -> MainWindow:
    """The window as a launch makes it, before it is shown: the app and the start-up benchmark share this.
    ``device`` None: the best available, picked once torch is imported (after the first paint)."""
    from PySide6.QtWidgets import QApplication

    from explorer.ui.main_window import MainWindow

    app = QApplication.instance()
    assert app is not None
    collect_garbage_on_the_gui_thread(app)
    window = MainWindow(device=device, device_text=device_text)
    freeze_when_built(window)
    window.open_on(panel)
    return window


def run(args: argparse.Namespace) -> int:
    """Open the window (or render it to ``args.screenshot`` and exit)."""
    if args.screenshot and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from explorer.cli import DEFAULT_SIZE

    device, device_text = None, "…"  # auto: picked once torch is in, after the first paint
    if args.device != "auto":  # a device asked for is checked before the window opens: one line, exit 2
        from explorer.core.runtime.devices import DeviceError, describe, pick_device

        try:
            picked = pick_device(args.device)
        except DeviceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        device, device_text = str(picked), describe(picked)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Generative Explorer")
    window = open_window(device, device_text, args.panel)
    if args.screenshot:
        size = args.size or DEFAULT_SIZE
        window.resize(*size)
        window.show()
        settle(app, window)
        if window.size().toTuple() != tuple(size):
            print(
                f"note: the window cannot be as small as {size[0]}x{size[1]}; it is "
                f"{window.width()}x{window.height()}.",
                file=sys.stderr,
            )
        ok = window.grab().save(str(args.screenshot))
        window.close()
        if not ok:
            print(f"error: could not write {args.screenshot}", file=sys.stderr)
            return 2
        print(f"Wrote {args.screenshot}")
        return 0
    window.place_within(window.screen().availableGeometry(), args.size)
    window.show()
    return app.exec()
