"""Time the PixelCNN's sampling: the cached sampler against re-running the whole net at every step.

    python benchmarks/pixelcnn_speed.py [--device cpu|cuda] [--samples 64] [--threads N] [--runs 3]

Drawing a digit takes 784 steps one after another. The cached sampler (``causal_pass``) computes
each layer's output once per position; the naive loop re-runs the full net on the whole image at
each step (and keeps only the one pixel it needs), as a plain implementation would. The time of
a loop does not depend on the weights: an untrained net of the shipped architecture serves when
there is no shipped checkpoint. The naive loop is timed on the first rows only and scaled up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from explorer.core.families import FAMILIES
from explorer.core.pixelcnn import PIXELS, SIDE, PixelCNNConfig, build_pixelcnn, sample_images
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import CheckpointError

NAIVE_ROWS = 2  # rows of the naive loop actually run (56 full passes)


def our_model(device: torch.device) -> tuple[torch.nn.Module, str]:
    try:
        model, cfg, _ = FAMILIES["pixelcnn"].load()
        what = f"shipped checkpoint ({cfg.layers} layers x {cfg.channels} channels)"
    except CheckpointError:
        torch.manual_seed(0)
        cfg = PixelCNNConfig()
        model, what = build_pixelcnn(cfg).eval(), f"default config, untrained ({cfg.layers} x {cfg.channels})"
    return model.to(device), what


@torch.inference_mode()
def naive_seconds(model: torch.nn.Module, n: int, device: torch.device) -> float:
    """Seconds for all 784 steps of the naive loop, extrapolated from its first NAIVE_ROWS rows."""
    x = torch.zeros(n, 1, SIDE, SIDE, device=device)
    started = time.perf_counter()
    for i in range(NAIVE_ROWS * SIDE):
        p = torch.sigmoid(model(x))[:, 0].flatten(1)[:, i]
        x.view(n, -1)[:, i] = torch.bernoulli(p)
    return (time.perf_counter() - started) * PIXELS / (NAIVE_ROWS * SIDE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    model, what = our_model(device)
    print(f"{what} on {device}, {args.threads} threads, load average {os.getloadavg()[0]:.1f}")
    sample_images(model, 2, seed=0)  # warm up
    cached = []
    for run in range(args.runs):
        started = time.perf_counter()
        sample_images(model, args.samples, seed=run)
        cached.append(time.perf_counter() - started)
    naive = naive_seconds(model, args.samples, device)
    print(
        f"{args.samples} digits, cached sampler: median {statistics.median(cached):.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in cached)})"
    )
    print(
        f"{args.samples} digits, full net at every step: {naive:.1f} s (from its first {NAIVE_ROWS} rows), "
        f"{naive / statistics.median(cached):.0f}x slower"
    )


if __name__ == "__main__":
    main()
