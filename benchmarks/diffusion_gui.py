"""Benchmark the Diffusion panel's timeline: scrub-to-screen latency per frame, and print the numbers.

    python benchmarks/diffusion_gui.py [--moves 400] [--samples 16]

A stored 1000-step chain of ``--samples`` digits is put in the panel, then the timeline
slider is moved to a random frame, again and again; each time we measure from the slider
move until the large x_t view (the last of the panel's views to be updated) has been painted.
The stored frames are forward-process frames of test digits (x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε,
ε̂ = ε, predicted x_0 = x_0): the same shapes and storage as a sampled chain, without
sampling 1000 steps on the CPU first (the timing does not depend on what the pixels show).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import QApplication
from timing import stats

from explorer.app import configure
from explorer.core.diffusion import ChainFrame, SamplerConfig, make_schedule, q_sample
from explorer.core.diffusion.chain_record import ChainRecord
from explorer.ui.main_window import MainWindow

painted: dict[int, float] = {}  # id of an ImageItem -> when it last painted


def record_paints() -> None:
    """Note the time of every ImageItem paint (patched on the class: Qt calls the class's method)."""
    paint = pg.ImageItem.paint

    def timed_paint(self, *args):
        paint(self, *args)
        painted[id(self)] = time.perf_counter()

    pg.ImageItem.paint = timed_paint


def forward_chain(digits: np.ndarray, T: int = 1000, seed: int = 0) -> ChainRecord:
    """A ChainRecord of T frames that walk the forward process backwards, from x_T to x_0."""
    schedule = make_schedule("linear", T)
    x0 = torch.from_numpy(digits.astype(np.float32) / 127.5 - 1.0)[:, None]  # (n, 1, 28, 28)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    record = ChainRecord(SamplerConfig("ddpm"), seed, len(digits), T)
    for i, t in enumerate(range(T - 1, -1, -1)):
        x_t = q_sample(schedule, x0, torch.full((len(digits),), t), eps)
        record.append(
            ChainFrame(
                step=i + 1,
                total_steps=T,
                t=t,
                alpha_bar=float(schedule.alphas_cumprod[t]),
                x_t=x_t[:, 0].numpy(),
                eps=eps[:, 0].numpy(),
                x0_pred=x0[:, 0].numpy(),
            )
        )
    return record


def scrub_latency(
    app: QApplication, window: MainWindow, moves: int, step: bool = False
) -> tuple[list[float], list[float]]:
    """Slider move (a random frame, or one step forward / back) until the large x_t view has painted.

    Returns the wall-clock and the CPU milliseconds of each move: on a machine shared with
    other work the wall clock also counts the time this process waited for a core.
    """
    panel = window.panels["diffusion"]
    player = panel.chain_section.player
    target = player.big["x_t"].image
    rng = np.random.default_rng(0)
    count = player.timeline.count
    times, cpu = [], []
    for i in range(moves):
        if step:
            k = player.timeline.frame() + (1 if (i // 50) % 2 == 0 else -1)
        else:
            k = int(rng.integers(count))
            while k == player.timeline.frame():
                k = int(rng.integers(count))
        painted.pop(id(target), None)
        t0, c0 = time.perf_counter(), time.process_time()
        player.timeline.slider.setValue(k)
        while id(target) not in painted:
            app.processEvents()
            if time.perf_counter() - t0 > 2:
                raise RuntimeError(f"frame {k} was never painted")
        times.append((painted[id(target)] - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        stored = panel.chain_section.active_chain().image(k, "x_t", panel.selected)
        assert np.array_equal(np.rint(target.image * 255).astype(np.uint8), stored), "the view is not the stored frame"
    return times[10:], cpu[10:]  # leave out the warm-up


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=400)
    parser.add_argument("--samples", type=int, default=16)
    args = parser.parse_args()
    app = QApplication([])
    configure()
    record_paints()
    window = MainWindow(device="cpu")
    window.resize(1500, 950)
    window.show()
    window.show_panel("diffusion")
    panel = window.panels["diffusion"]
    t0 = time.perf_counter()
    record = forward_chain(panel.test.images[: args.samples])
    print(
        f"built a stored chain of 1000 frames x {args.samples} samples: {record.nbytes / 1e6:.1f} MB of uint8, "
        f"{time.perf_counter() - t0:.1f} s"
    )
    panel.chain_section.show_chain(record)
    panel.chain_section.player.state.select(min(5, args.samples - 1))
    for _ in range(10):
        app.processEvents()
    print(f"Diffusion panel benchmark on CPU ({os.cpu_count()} cores), window 1500x950 offscreen")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, step in (("scrub to a random frame", False), ("step one frame", True)):
        wall, cpu = scrub_latency(app, window, args.moves, step)
        print(f"{name:24s} -> painted, wall: {stats(wall)}")
        print(f"{'':24s}              CPU: {stats(cpu)}")
    window.close()


if __name__ == "__main__":
    main()
