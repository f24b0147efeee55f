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

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from explorer.app import configure  # noqa: E402
from explorer.core.gan import GANConfig, gan_session  # noqa: E402
from explorer.core.jobs import spare_cores  # noqa: E402
from explorer.ui.main_window import MainWindow  # noqa: E402


def stats(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"p50 {np.median(a):6.2f} ms   p99 {np.percentile(a, 99):6.2f} ms   max {a.max():6.2f} ms   (n={len(a)})"


def iterations_per_second(device: str, seconds: float) -> float:
    """Iterations per second of the default config after start-up, yielding as the GUI's job does."""
    threads = torch.get_num_threads()
    torch.set_num_threads(spare_cores())
    session = gan_session(GANConfig(steps=1_000_000), device)
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
    interval_ms = 5
    late: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        late.append(max(0.0, (now - last[0]) * 1000 - interval_ms))
        last[0] = now

    seen: list[tuple[float, int]] = []  # (time, step) of every snapshot the panel received
    original = panel._on_snapshot

    def record(snap) -> None:
        seen.append((time.perf_counter(), snap.step))
        original(snap)

    panel._on_snapshot = record
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start()
    last[0] = pressed = time.perf_counter()
    if mode is not None:
        panel.mode.setCurrentIndex(0 if mode == "mnist" else 1)
        panel.start_button.click()  # the form's defaults: the default config
    loop.exec()
    timer.stop()
    del panel._on_snapshot
    if mode is not None:
        window.runner.stop()
        while window.runner.busy:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if len(seen) >= 2:
            (t0, s0), (t1, s1) = seen[0], seen[-1]
            print(f"    (first snapshot {t0 - pressed:.1f} s after Start; {len(seen)} snapshots; "
                  f"{(s1 - s0) / (t1 - t0):.1f} iterations/s seen by the panel)")
    return late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each run")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"GAN benchmark ({os.cpu_count()} CPU cores; default config {GANConfig()})")
    for device in devices:
        rate = iterations_per_second(device, args.seconds)
        print(f"training, headless, {device:4s}: {rate:7.1f} iterations/s (batch {GANConfig().batch_size})")
    app = QApplication([])
    configure()
    window = MainWindow(device="cpu")
    window.load_shipped_checkpoints()
    window.resize(1500, 950)
    window.show_panel("gan")
    window.show()
    for _ in range(10):
        app.processEvents()
    for name, mode in (("idle (no training)", None), ("training the MNIST game on the CPU", "mnist"),
                       ("training the toy game on the CPU", "toy")):
        print(f"event-loop lateness, {name}, from the press of Start:")
        print(f"    {stats(lateness_while_training(app, window, args.seconds, mode))}   target p99 <= 5, max <= 50")
    window.close()


if __name__ == "__main__":
    main()
