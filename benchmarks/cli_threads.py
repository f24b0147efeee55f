"""The command line beside a busy core: `sample ddpm` (DDIM-50) with torch's own thread count (one per
core) and with the CLI's default (every core but one), while another process spins on one core.

torch's threads spin-wait for each other between operations; when another process holds one of the
cores, the thread on it is rarely scheduled and every operation waits for it (issue 36: 250 s against
16 s on the project's 2-core machine). The CLI's default leaves that core alone.

    python benchmarks/cli_threads.py [-n 100] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUSY = "while True: pass"


def timed_sample(n: int, threads: int, out: Path) -> float:
    """Seconds for one `gen-explorer sample ddpm -n N --threads T` in a fresh process."""
    env = {key: value for key, value in os.environ.items() if key not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "explorer",
            "sample",
            "ddpm",
            "-n",
            str(n),
            "--out",
            str(out),
            "--device",
            "cpu",
            "--threads",
            str(threads),
        ],
        check=True,
        env=env,
        timeout=3600,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    from explorer.core.runtime.jobs import spare_cores

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "samples.npy"
            for label, threads in (
                (f"torch's default ({cores} threads)", cores),
                (f"the CLI's default ({spare_cores()} threads)", spare_cores()),
            ):
                seconds = [timed_sample(args.n, threads, out) for _ in range(args.runs)]
                print(
                    f"sample ddpm -n {args.n} beside a busy core, {label}: median {statistics.median(seconds):.1f} s "
                    f"(runs: {', '.join(f'{s:.1f}' for s in seconds)})",
                    flush=True,
                )
    finally:
        busy.kill()
        busy.wait()


if __name__ == "__main__":
    main()
