"""Benchmark GAN training and the GAN panel on this machine and print the numbers.

    python benchmarks/gan_gui.py [--seconds 15]

1. training speed: iterations per second (one D step and one G step each) of the default
   config, headless, on the CPU (with the threads a background job gets) and on CUDA when
   there is one; start-up (data, nets) is left out;
2. event-loop lateness of the GUI thread while the panel trains in its child process,
   measured from the press of Start (so process and torch start-up count), for the
   default MNIST game and for the toy game (whose heat map and points arrive with every
   snapshot), with the iterations per second the panel saw.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
from timing import full_collection_ms, stats, timer_lateness

from explorer.app import collect_garbage_on_the_gui_thread, configure, freeze_when_built, settle
from explorer.core.gan import GANConfig, default_config, gan_session
from explorer.core.runtime.jobs import spare_cores
from explorer.ui.main_window import MainWindow


def iterations_per_second(device: str, seconds: float, cfg: GANConfig) -> float:
    """Iterations per second of ``cfg`` after start-up, yielding as the GUI's job does."""
    threads = torch.get_num_threads()
    torch.set_num_threads(spare_cores())
    session = gan_session(cfg, device)
    next(session)  # data loaded, nets built: the clock starts here
    start = time.perf_counter()
    snap = next(session)
    while time.perf_counter() - start < seconds:
        snap = next(session)
    if device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    session.close()
    torch.set_num_threads(threads)
    return snap.step / elapsed


def lateness_while_training(app: QApplication, window: MainWindow, seconds: float, mode: str | None) -> list[float]:
    """Lateness of a 5 ms timer on the GUI thread; Start is pressed with the timer (None: no training)."""
    panel = window.panels["gan"]
    seen: list[tuple[float, int]] = []  # (time, step) of every snapshot the panel received
    original = panel.on_snapshot

    def record(snap) -> None:
        seen.append((time.perf_counter(), snap.step))
        original(snap)

    panel.on_snapshot = record
    if mode is not None:  # the user picks the game first (its page is laid out), then presses Start
        panel.controls.settings.mode.setCurrentIndex(0 if mode == "mnist" else 1)
        for _ in range(10):
            app.processEvents()
    pressed = time.perf_counter()
    late = timer_lateness(seconds, None if mode is None else panel.controls.start_button.click)
    del panel.on_snapshot
    if mode is not None:
        window.runner.stop()
        while window.runner.busy:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if len(seen) >= 2:
            (t0, s0), (t1, s1) = seen[0], seen[-1]
            print(
                f"    (first snapshot {t0 - pressed:.1f} s after Start; {len(seen)} snapshots; "
                f"{(s1 - s0) / (t1 - t0):.1f} iterations/s seen by the panel)"
            )
    return late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each run")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    games = {
        "the panel's MNIST game": default_config("mnist", steps=1_000_000),
        "the shipped recipe (`train gan`)": GANConfig(steps=1_000_000),
    }
    print(f"GAN benchmark ({os.cpu_count()} CPU cores)")
    for device in devices:
        for name, cfg in games.items():
            rate = iterations_per_second(device, args.seconds, cfg)
            print(
                f"training, headless, {device:4s}, {name} ({cfg.channels} channels, batch {cfg.batch_size}): "
                f"{rate:7.1f} iterations/s"
            )
    app = QApplication([])
    configure()
    collect_garbage_on_the_gui_thread(app)  # the app's collector: on the event loop's timer, frozen after start-up
    window = MainWindow(device="cpu")
    freeze_when_built(window)
    window.load_shipped_checkpoints()
    window.resize(1500, 950)
    window.show_panel("gan")
    window.show()
    settle(app, window, every_tab=True)  # every panel built (the collector's reach frozen), the opening jobs done
    print(f"a full collection on the GUI thread: {full_collection_ms():.1f} ms   target <= 16")
    for name, mode in (
        ("idle (no training)", None),
        ("training the MNIST game on the CPU", "mnist"),
        ("training the toy game on the CPU", "toy"),
    ):
        print(f"event-loop lateness, {name}, from the press of Start:")
        print(f"    {stats(lateness_while_training(app, window, args.seconds, mode))}   target p99 <= 5, max <= 50")
    window.close()


if __name__ == "__main__":
    main()
