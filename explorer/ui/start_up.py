"""What the window imports once it is on screen: torch, pyqtgraph and the panels' modules, in a thread.

A normal launch paints the tab on show with its opening picture first (its shipped model's own output, made
without torch); importing torch and the panels then takes a few CPU-seconds, which a thread spends while the
event loop keeps answering (the import releases the GIL to it every few milliseconds). Only Qt-free modules and
modules that define widgets without making any are imported there; every widget is made on the GUI thread.
"""

from __future__ import annotations

import importlib
import threading

from PySide6.QtCore import QObject, Signal

from explorer.ui.panel_registry import PANELS, panel_entry


def configure() -> None:
    """Process-wide settings for the GUI process (the app and the benchmarks share them); call on the GUI
    thread (torch's thread count is the calling thread's), before a plot is made."""
    import pyqtgraph as pg
    import torch

    pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")
    # The GUI only decodes single digits and small grids: one thread is fastest, and it
    # leaves the other cores to training instead of fighting its threads for them.
    torch.set_num_threads(1)


class BackgroundImports(QObject):
    """Imports, in a thread, what the tab ``shown`` needs to be built and load its shipped model (then
    ``shown_ready``), then every other panel's module (then ``all_ready``); both signals arrive on the GUI thread.
    ``device`` and ``device_text`` are the compute device picked there when ``requested`` is None."""

    shown_ready = Signal()
    all_ready = Signal()

    def __init__(self, shown: str, requested: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shown = shown
        self.device = requested
        self.device_text = ""
        self.done = False
        self._thread = threading.Thread(target=self._run, name="start-up imports", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self) -> None:
        """Return once the imports are done (a window closed in its first seconds: Python must not end
        while a thread is still importing)."""
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            self._import_for_the_shown_tab()
        except Exception:  # the GUI thread's own import of it raises the same error, where it shows
            pass
        self.shown_ready.emit()
        try:
            for entry in PANELS:
                entry.panel_class()
        except Exception:  # as above: the panel's build raises it on the GUI thread
            pass
        self.done = True
        self.all_ready.emit()

    def _import_for_the_shown_tab(self) -> None:
        import pyqtgraph  # noqa: F401  # the plots' library, before any panel module needs it
        import torch  # noqa: F401

        from explorer.core.runtime.devices import describe, pick_device

        device = pick_device(self.device)
        self.device, self.device_text = str(device), describe(device)

        from explorer.core.families import FAMILIES
        from explorer.core.runtime.checkpoints import config_class
        from explorer.core.runtime.data import load_mnist

        for module in FAMILIES.modules():
            importlib.import_module(module)
        config_class("")  # what reading any checkpoint imports (the configs of every kind it checks)
        panel_entry(self.shown).panel_class()
        load_mnist("test")  # cached: the panels encode and show the test set (a missing file: the panel says so)
