"""Start-up: from launching the app to the first painted window, to the shown tab's digits painted, and
the longest the event loop is held while the other tabs are built.

Each run is a fresh Python process doing what `gen-explorer` does (explorer.app's ``open_window``: the main
window opening on the VAE tab as a normal launch does, its opening picture, torch and the panels imported in
a thread after the first paint, the shipped models, then the event loop), offscreen; it reports, measured
from the moment this script launched it, when the window is first painted, when its first digit is painted
(the opening picture's, made without torch, or the live panel's), when the live panel's decoded digit is
painted, when every tab is built, and the longest gap between two turns of the event loop from the first
paint until then (a gap is a moment the window cannot answer a drag) with the GUI thread's CPU time in it. Wall
times suffer from the machine's load; the GUI process's CPU time beside them less so.
Targets (issues 13 and 36): <= 2.5 s to the first painted window, <= 3 s to the digits, on the project's
2-core CPU machine. The load average is printed: other programs on the machine slow every figure.

    python benchmarks/startup.py [--runs 5] [--panel vae]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import os, sys, time
started, shown = float(sys.argv[1]), sys.argv[2]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from explorer.app import open_window
window = open_window(None, "…", shown)  # as `gen-explorer` opens it (--device auto)
window.resize(1280, 660)
moments, cpu = {}, {}  # wall seconds since launch; this process's CPU seconds (less hurt by the load)

class FirstPaint(QObject):
    def __init__(self, name, ready):
        super().__init__()
        self.name, self.ready = name, ready

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and self.name not in moments and self.ready():
            moments[self.name] = time.time() - started
            cpu[self.name] = time.process_time()
            if self.name == "painted":
                moments["torch-at-paint"] = float("torch" in sys.modules)
        return False

def live_view(panel):
    # the view whose first painted digit counts once the panel is live: the VAE's decoded digit, else the first image grid
    if shown == "vae":
        return panel.decoder.decoded.viewport(), lambda: panel.decoder.decoded.pixels() is not None
    view = panel.write_section.grid if shown == "pixelcnn" else None
    return view.viewport(), lambda: view.pixels() is not None

watchers = [FirstPaint("painted", lambda: True)]
window.installEventFilter(watchers[0])

def watch(name, widget, ready):
    watchers.append(FirstPaint(name, ready))
    widget.installEventFilter(watchers[-1])

if shown not in window.tabs.built:  # the tab shows its opening picture (made without torch): its digit counts
    watch("digits", window.tabs.currentWidget().widget().decoded, lambda: True)
else:
    watch("digits", *live_view(window.tabs.built[shown]))

def on_built(name):
    if name == shown:
        watch("live-digits", *live_view(window.tabs.built[shown]))

if shown in window.tabs.built:
    on_built(shown)
else:
    window.tabs.panel_built.connect(on_built)
last, gaps, holds = [time.time(), time.thread_time()], [], []

def tick():
    now, gui_cpu = time.time(), time.thread_time()  # the GUI thread's CPU, not the imports' thread's
    if "painted" not in moments:  # the stalls counted are those after the window is up
        last[:] = [now, gui_cpu]
        return
    gaps.append(now - last[0])
    holds.append(gui_cpu - last[1])
    last[:] = [now, gui_cpu]
    if "all-panels" not in moments and window.tabs.settled:
        moments["all-panels"] = now - started
        moments["longest-stall"] = max(gaps, default=0.0)
        cpu["longest-stall"] = max(holds, default=0.0)
        cpu["all-panels"] = time.process_time()
    if all(name in moments for name in ("all-panels", "digits", "live-digits")):
        app.quit()

timer = QTimer()
timer.timeout.connect(tick)
timer.start(1)
window.show()
app.exec()
moments.setdefault("live-digits", moments["digits"])
cpu.setdefault("live-digits", cpu["digits"])
for name, value in moments.items():
    print(name, value, cpu.get(name, float("nan")), flush=True)
for runner in window.runners.values():
    runner.stop()
os._exit(0)
"""


def one_run(panel: str) -> dict[str, tuple[float, float]]:
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, repr(started), panel],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    lines = (line.split() for line in out.stdout.splitlines())
    return {name: (float(wall), float(cpu)) for name, wall, cpu in lines}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--panel", choices=("vae", "pixelcnn"), default="vae", help="the tab shown at launch")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runs = [one_run(args.panel) for _ in range(args.runs)]
    print(f"start-up on {os.cpu_count()} cores, load average {load:.1f} before, {args.runs} runs, {args.panel} tab")
    if any(r["torch-at-paint"][0] for r in runs):
        print("torch was imported before the first paint")
    for name, target in (
        ("painted", 2.5),
        ("digits", 3.0),
        ("live-digits", None),
        ("all-panels", None),
        ("longest-stall", None),
    ):
        values = [r[name][0] for r in runs]
        line = f"launch -> {name:<13}: median {statistics.median(values):.2f} s, max {max(values):.2f} s"
        cpus = [r[name][1] for r in runs]
        if name != "longest-stall":
            line += f" (CPU of the GUI process: median {statistics.median(cpus):.2f} s)"
        else:
            line += f" (longest GUI-thread CPU between two turns: median {statistics.median(cpus):.2f} s, max {max(cpus):.2f} s)"
        print(line + (f"   target <= {target} s" if target else ""))


if __name__ == "__main__":
    main()
