"""Benchmark the VAE panel on this machine's CPU and print the numbers.

    python benchmarks/vae_gui.py [--seconds 15]

1. drag latency: a mouse move on the latent plane until the decoded digit is painted;
2. manifold redraw: a 20x20 latent grid decoded and painted;
3. event-loop lateness of the GUI thread while a full-size training run starts and
   runs, measured from the moment Train is pressed (so CUDA/torch start-up counts),
   with training in a child process (the app's choice) and, for comparison, in a
   thread of the GUI process.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEventLoop, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from timing import full_collection_ms, stats, timer_lateness

from explorer.app import collect_garbage_on_the_gui_thread, configure, freeze_when_built, settle
from explorer.core.vae import VAEConfig
from explorer.ui.main_window import MainWindow


def drag_latency(app: QApplication, window: MainWindow, moves: int = 400) -> list[float]:
    panel = window.panels["vae"]
    plane, vb = panel.plane, panel.plane.plotItem.vb
    viewport = plane.viewport()

    def to_view(z1: float, z2: float):
        return plane.mapFromScene(vb.mapViewToScene(QPointF(z1, z2)))

    panel.set_z(0.0, 0.0)
    app.processEvents()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to_view(0.0, 0.0))
    times, decoded = [], 0
    for i in range(1, moves + 1):
        angle = 2 * np.pi * i / 200  # round and round a circle of radius 1.5, a few pixels a move
        pos = to_view(1.5 * np.cos(angle), 1.5 * np.sin(angle))
        before = panel.decoder.decoded.pixels()
        t0 = time.perf_counter()
        QTest.mouseMove(viewport, pos)
        app.processEvents()  # paint
        times.append((time.perf_counter() - t0) * 1000)
        decoded += panel.decoder.decoded.pixels() is not before
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert decoded >= 0.9 * moves, f"only {decoded} of {moves} moves reached the decoder"
    return times[10:]  # leave out the warm-up


def grid_redraw(app: QApplication, window: MainWindow, n: int = 20, repeats: int = 60) -> list[float]:
    panel = window.panels["vae"]
    panel.manifold_view.grid_n.setValue(n)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        panel.redraw_manifold()
        app.processEvents()
        times.append((time.perf_counter() - t0) * 1000)
    return times[5:]


def lateness_while_training(
    app: QApplication, window: MainWindow, seconds: float, in_process: bool | None
) -> list[float]:
    """Lateness of a 5 ms timer on the GUI thread; training starts with the timer (None: no training)."""
    panel = window.panels["vae"]

    def start() -> None:
        window.runner.in_child = in_process
        panel.start_training(VAEConfig(epochs=3))  # the full-size model on all 60,000 digits

    late = timer_lateness(seconds, None if in_process is None else start)
    snapshots = panel.training.curves["neg_elbo"].points("train")
    if in_process is not None:
        window.runner.stop()
        while window.runner.busy:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        print(f"    ({snapshots} training snapshots reached the GUI in {seconds:.0f} s)")
    return late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each lateness run")
    args = parser.parse_args()
    app = QApplication([])
    configure()
    collect_garbage_on_the_gui_thread(app)  # the app's collector: on the event loop's timer, frozen after start-up
    pg.setConfigOptions(mouseRateLimit=-1)  # let every synthetic move through, as real ones are
    window = MainWindow(device="cpu")
    freeze_when_built(window)
    window.load_shipped_checkpoints()
    window.resize(1500, 950)
    window.show()
    settle(app, window, every_tab=True)  # every panel built (the collector's reach frozen), the opening jobs done
    print(f"a full collection on the GUI thread: {full_collection_ms():.1f} ms   target <= 16")
    print(f"VAE panel benchmark on CPU ({os.cpu_count()} cores), window 1500x950 offscreen")
    print(f"drag -> decoded digit painted : {stats(drag_latency(app, window))}   target p50 <= 5, p99 <= 16")
    print(f"20x20 manifold redraw         : {stats(grid_redraw(app, window))}   target p99 <= 50")
    for name, mode in (
        ("idle (no training)", None),
        ("training in a child process", True),
        ("training in a GUI-process thread", False),
    ):
        print(f"event-loop lateness, {name}:")
        print(f"    {stats(lateness_while_training(app, window, args.seconds, mode))}   target p99 <= 5, max <= 50")
    window.close()


if __name__ == "__main__":
    main()
