"""Start-up: from launching the app to the first painted window, and to the VAE's digits painted.

Each run is a fresh Python process doing what `gen-explorer` does (explorer.app's set-up, the
main window, the shipped models), offscreen; it reports the moments the window is first
painted and the VAE panel's decoded digit and manifold are painted, measured from the moment
this script launched it. Targets (issue 13): <= 2.5 s to the first painted window, <= 3 s to
the VAE digits, on the project's 2-core CPU machine.

    python benchmarks/startup.py [--runs 5]
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
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from explorer.app import configure
configure()
from explorer.ui.main_window import MainWindow
window = MainWindow(device="cpu")
window.show_panel("vae")
window.resize(1500, 950)
window.show()
app.processEvents()
window.grab()  # painted
print("painted", time.time(), flush=True)
window.load_shipped_checkpoints()
panel = window.panels["vae"]
app.processEvents()
panel.decoder.decoded.grab(), panel.manifold_view.manifold.grab()
assert panel.decoder.decoded.pixels() is not None
print("digits", time.time(), flush=True)
for _ in range(50):  # the other panels build, one per turn, after the first paint
    app.processEvents()
print("all-panels", time.time(), flush=True)
"""


def one_run() -> dict[str, float]:
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    moments = {}
    for line in out.stdout.splitlines():
        name, stamp, *_ = line.split()
        moments[name] = float(stamp) - started
    return moments


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    print(f"start-up on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, {args.runs} runs")
    for name, target in (("painted", 2.5), ("digits", 3.0), ("all-panels", None)):
        values = [r[name] for r in runs]
        line = f"launch -> {name:<10}: median {statistics.median(values):.2f} s, max {max(values):.2f} s"
        print(line + (f"   target <= {target} s" if target else ""))


if __name__ == "__main__":
    main()
