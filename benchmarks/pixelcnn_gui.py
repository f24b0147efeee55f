"""Benchmark the PixelCNN panel's timeline: CPU time per scrub step and per arrow key, with its breakdown.

    python benchmarks/pixelcnn_gui.py [--events 200]

The shipped model is loaded and given eight written digits (random pixels: what a step costs does not
depend on them), then the timeline is scrubbed a step at a time (the slider, as a drag does) and stepped
with the → key's action, each event followed by the paint. Numbers are CPU time of this process
(time.process_time, every thread), with cyclic garbage collected as the app collects it (on a timer of the
event loop, what start-up made frozen); the target is a frame, 16 ms at p99. The breakdown times the next-pixel
map (one pass of the net over the image) alone, a scrub before the digit's maps are kept (each step over an
ink pixel then runs the net), and the CPU time the pool takes to keep them all (one pass per ink pixel).
"""

from __future__ import annotations

import argparse
import gc
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import torch
from PySide6.QtWidgets import QApplication
from timing import stats

from explorer.app import collect_garbage_on_the_gui_thread, configure
from explorer.core.pixelcnn.jobs import Written
from explorer.ui.panels.pixelcnn import PixelCNNPanel
from explorer.ui.worker import Runner


def per_event(app: QApplication, action, events: int) -> list[float]:
    """CPU ms of ``action(i)`` and the paint that follows it, for i = 0 … events − 1 (after 10 warm-up events)."""
    times = []
    for i in range(events + 10):
        t0 = time.process_time()
        action(i)
        app.processEvents()
        times.append((time.process_time() - t0) * 1000)
    return times[10:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200, help="events per measurement")
    args = parser.parse_args()
    torch.set_num_threads(1)
    app = QApplication([])
    configure()
    collect_garbage_on_the_gui_thread(app)  # as the app collects: on the event loop's timer, frozen once built
    runner = Runner()
    panel = PixelCNNPanel(runner, device="cpu")
    panel.load_checkpoint(panel.family.default_checkpoint)
    panel.resize(1280, 600)
    panel.show()
    rng = np.random.default_rng(0)
    images = (rng.random((8, 28, 28)) < 0.2).astype(np.float32)
    panel.write_section.show_written(Written(images, rng.random((8, 28, 28)), None, 0, 1.0))
    section, timeline, start = panel.write_section, panel.timeline, 200
    section.maps.reset(panel._next_map)  # forget what the opening kept: the first scrub computes
    for _ in range(20):
        app.processEvents()
    gc.collect()
    gc.freeze()
    print(f"PixelCNN ▸ Write, CPU time per timeline event ({os.cpu_count()} cores, torch 1 thread), 1280x600")
    print(
        f"next-pixel map alone  : {stats(per_event(app, lambda i: panel._next_map(images[0], start + i), args.events))}"
    )
    print(f"scrub, maps not kept  : {stats(per_event(app, lambda i: timeline.set_frame(start + i), args.events))}")
    section.maps.reset(panel._next_map)
    timeline.set_frame(start)
    cpu = time.process_time()
    section.select(0)  # as a learner's click does: the pool keeps the digit's maps
    while not section.maps.kept(0, images[0]):
        app.processEvents()
        time.sleep(0.005)
    print(f"keeping one digit's maps in the pool: {time.process_time() - cpu:.2f} s CPU")
    print(
        f"scrub (slider) + paint: {stats(per_event(app, lambda i: timeline.set_frame(start + i), args.events))}"
        "   target p99 <= 16"
    )
    timeline.set_frame(start)
    print(
        f"→ key + paint         : {stats(per_event(app, lambda i: timeline.step(1), args.events))}   target p99 <= 16"
    )
    panel.close()
    runner.shutdown()


if __name__ == "__main__":
    main()
