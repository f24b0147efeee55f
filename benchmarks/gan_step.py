"""How long one GAN Step button takes from the click to its painted result, in CPU time, part by part.

    python benchmarks/gan_step.py [--repeats 10]

A click sends ("step", which) to the game's child process, which takes the step and answers with a
snapshot; the panel records it and paints it. This measures, per game (the live MNIST game and the toy
game, whose theory overlay is measured off and on):

1. the child's share: ``session.send(("step", which))`` for 'd', 'g' and 'both' (CPU time, one thread as
   a background job on two cores gets), and ("meter", None), the digit meter that follows a step;
2. the GUI's share: ``on_snapshot`` of that answer, every refresh it queues, and a synchronous repaint of
   the panel.

3. end to end, through the real worker: the wall time from the click to the last view updated and
   painted (the pipe and the event loop included, so load on the machine inflates it).

1 and 2 are CPU time (time.process_time), so that other work on a loaded machine does not count.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import replace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import torch
from PySide6.QtWidgets import QApplication

from explorer.core.gan import GANConfig, GANSnapshot, default_config, gan_session


def cpu_ms(action: Callable[[], object]) -> tuple[float, object]:
    start = time.process_time()
    result = action()
    return (time.process_time() - start) * 1000, result


def describe(name: str, ms: list[float]) -> str:
    return f"  {name:<28} p50 {np.median(ms):7.1f} ms   max {max(ms):7.1f} ms"


def child_share(cfg: GANConfig, repeats: int) -> list[GANSnapshot]:
    """Print the session's CPU time per step kind; return the step answers (for the GUI's share)."""
    session = gan_session(cfg, "cpu")
    next(session)
    answers: list[GANSnapshot] = []
    for which in ("d", "g", "both"):
        times = []
        for _ in range(repeats):
            ms, snap = cpu_ms(lambda which=which: session.send(("step", which)))
            times.append(ms)
            assert isinstance(snap, GANSnapshot)
            answers.append(snap)
        print(describe(f"child: step {which}", times))
    if cfg.mode == "mnist":
        times = [cpu_ms(lambda: session.send(("meter", None)))[0] for _ in range(repeats)]
        print(describe("child: the meter after it", times))
    session.close()
    return answers


def gui_share(app: QApplication, cfg: GANConfig, answers: list[GANSnapshot], theory: bool) -> None:
    """Print the panel's CPU time from receiving a step's snapshot to having painted it."""
    from explorer.ui.panels.gan import GANPanel
    from explorer.ui.worker import Runner

    runner = Runner()
    panel = GANPanel(runner, device="cpu")
    panel.resize(1280, 620)
    panel.show()
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData(cfg.mode))
    panel.theory.toggle.setChecked(theory)
    panel.on_training_started(cfg)  # as when the game started
    for _ in range(5):
        app.processEvents()

    def paint(snap: GANSnapshot) -> None:
        panel.on_snapshot(snap)
        panel.refresh.flush()
        panel.repaint()

    times = [cpu_ms(lambda snap=snap: paint(snap))[0] for snap in answers]
    name = "GUI: on_snapshot + paint" + (" (theory on)" if theory else "")
    print(describe(name, times[2:]))  # the first two paint the plots' axes for the first time
    panel.state.end()
    runner.shutdown()


def end_to_end(app: QApplication, cfg: GANConfig, repeats: int) -> None:
    """Print the wall time from a Step button's click to its views updated and painted, per button."""
    from explorer.ui.panels.gan import GANPanel
    from explorer.ui.worker import Runner

    runner = Runner()
    panel = GANPanel(runner, device="cpu")
    panel.resize(1280, 620)
    panel.show()
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData(cfg.mode))
    seen: list[GANSnapshot] = []
    outstanding: set[str] = set()  # views whose update is requested and not yet run
    receive, request = panel.on_snapshot, panel.refresh.request

    def on_snapshot(snap: GANSnapshot) -> None:
        seen.append(snap)
        receive(snap)

    def tracked(key: str, update: Callable[[], None]) -> None:
        outstanding.add(key)
        request(key, lambda: (outstanding.discard(key), update()))

    panel.on_snapshot = on_snapshot  # type: ignore[method-assign]
    panel.refresh.request = tracked  # type: ignore[method-assign]
    panel.start_training(cfg, paused=True)
    while not seen:
        app.processEvents()
        time.sleep(0.002)
    for button in panel.controls.step_buttons.values():
        times = []
        for _ in range(repeats):
            count, start = len(seen), time.perf_counter()
            button.click()
            while len(seen) == count or outstanding:
                app.processEvents()
                time.sleep(0.001)
            app.processEvents()  # the paint of the last update
            times.append((time.perf_counter() - start) * 1000)
            while runner.busy and len(seen) == count + 1 and cfg.mode == "mnist":  # let the meter follow
                app.processEvents()
                time.sleep(0.002)
        print(describe(f"end to end (wall): {button.text()}", times))
    runner.stop()
    while runner.busy:
        app.processEvents()
        time.sleep(0.01)
    runner.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    for cfg in (default_config("mnist"), replace(default_config("toy"), steps=100_000)):
        print(f"{cfg.mode} game:")
        answers = child_share(cfg, args.repeats)
        for theory in (False, True) if cfg.mode == "toy" else (False,):
            gui_share(app, cfg, answers, theory)
        end_to_end(app, cfg, args.repeats)


if __name__ == "__main__":
    main()
