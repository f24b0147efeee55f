"""Benchmark the Divergences panel's Continuous-KL sliders and Discrete bars: CPU time per event, recomputation
and paint.

    python benchmarks/divergences_gui.py [--events 200]

Each event moves p's mean slider by one step, or p's first bar as a drag of it does (the editor's
``valueDragged`` between its ``heldChanged`` True and False, 100 steps a drag): up and back down in steps of
0.005 as a mouse moves, and, on a line of its own, up and then straight back in one step, which no mouse does;
then it lets the window paint. The
numbers are CPU time of this process (time.process_time), so a busy machine inflates them less
than wall time; cyclic garbage is collected as the app collects it (on a timer of the event loop, what
start-up made frozen); the target is a frame, 16 ms at p99. The breakdown times the tab's recomputation
alone (the densities, the integrands, KL three ways) without painting.
"""

from __future__ import annotations

import argparse
import gc
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication
from timing import stats

from explorer.app import collect_garbage_on_the_gui_thread, configure
from explorer.ui.panels.divergences import DivergencePanel


def slider_events(app: QApplication, panel: DivergencePanel, events: int, paint: bool) -> list[float]:
    """CPU ms per step of p's mean slider (back and forth), painted or not."""
    slider = panel.continuous.p_controls.mean1
    base = slider.value()
    times = []
    for i in range(events + 10):
        t0 = time.process_time()
        slider.setValue(base + 0.01 * (i % 50))
        if paint:
            app.processEvents()
        times.append((time.process_time() - t0) * 1000)
    return times[10:]


def bar_height(i: int, wave: str) -> float:
    """p's first bar at step i of a drag: 0.3 up to 0.545 in steps of 0.005 and back down, as a mouse moves it
    (``triangle``), or up and then straight back to 0.3 in one step every 50 (``sawtooth``, which no mouse does)."""
    j = i % 100 if wave == "triangle" else i % 50
    return 0.3 + 0.005 * (100 - j if j > 50 else j)


def bar_events(app: QApplication, panel: DivergencePanel, events: int, wave: str) -> tuple[list[float], list[float]]:
    """CPU ms per step of drags of p's first bar, painted, 100 steps a drag (held from its first step to its
    last, then let go), and the CPU ms of each letting go (the plots' ranges fit the values tightly again)."""
    editor = panel.discrete.p_editor
    for i in range(10):  # warm up
        editor.valueDragged.emit(0, bar_height(i, wave))
        app.processEvents()
    times, releases = [], []
    for drag in range(0, events, 100):
        editor.heldChanged.emit(True)
        for i in range(min(100, events - drag)):
            t0 = time.process_time()
            editor.valueDragged.emit(0, bar_height(i, wave))
            app.processEvents()
            times.append((time.process_time() - t0) * 1000)
        t0 = time.process_time()
        editor.heldChanged.emit(False)
        app.processEvents()
        releases.append((time.process_time() - t0) * 1000)
    return times, releases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200, help="slider steps per measurement")
    args = parser.parse_args()
    app = QApplication([])
    configure()
    collect_garbage_on_the_gui_thread(app)  # as the app collects: on the event loop's timer, frozen once built
    panel = DivergencePanel()
    panel.tabs.setCurrentWidget(panel.continuous)
    panel.resize(1280, 600)
    panel.show()
    for _ in range(20):
        app.processEvents()
    gc.collect()
    gc.freeze()
    print(f"Divergences ▸ Continuous, CPU time per slider event ({os.cpu_count()} cores), 1280x600 offscreen")
    for mixture in (False, True):
        panel.continuous.p_controls.two_bumps.setChecked(mixture)
        panel.continuous.q_controls.two_bumps.setChecked(mixture)
        kind = "mixtures " if mixture else "Gaussians"
        print(f"{kind}: recompute only : {stats(slider_events(app, panel, args.events, paint=False))}")
        print(
            f"{kind}: event + paint  : {stats(slider_events(app, panel, args.events, paint=True))}   target p99 <= 16"
        )
    panel.tabs.setCurrentWidget(panel.discrete)
    for _ in range(20):
        app.processEvents()
    for wave, name in (("triangle", "drag a bar + paint"), ("sawtooth", "jumps back 1 in 50")):
        times, releases = bar_events(app, panel, args.events, wave)
        print(f"Discrete: {name}: {stats(times)}   target p99 <= 16   let go: max {max(releases):5.2f} ms")
    panel.close()


if __name__ == "__main__":
    main()
