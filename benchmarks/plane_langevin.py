"""The score network's samples by annealed Langevin (issue 38), measured: MMD² against the floor on each
preset, mean over noise seeds, for sampler variants on one trained network per preset.

    OMP_NUM_THREADS=1 python benchmarks/plane_langevin.py [--data checkerboard,mixture,ring,moons]
        [--seeds 1,2] [--score steps=3000] [--variants base,denoise,...] [--cache FOLDER]

A variant is ``name:key=value;key=value`` over the sampler's knobs: denoise (0/1), ratio (ε/σ_L²),
per (steps per level), levels (σ ladder length), smin, smax (σ range; the net is queried outside its
training range only if asked). ``--cache`` keeps each preset's trained network, so several variant lists
cost one training. Training time is reported as this process's CPU time.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from explorer.core.plane.data import make_preset
from explorer.core.plane.draw import model_from_checkpoint
from explorer.core.plane.langevin import STEP_RATIO, annealed_langevin, net_score_fn, uniform_start
from explorer.core.plane.models import ScoreConfig
from explorer.core.plane.quality import judge_for
from explorer.core.plane.training import train_plane
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.jobs import run_to_end

DEFAULT_VARIANTS = "base:denoise=0,denoise:denoise=1"


def parse_variant(text: str) -> tuple[str, dict[str, float]]:
    name, _, rest = text.partition(":")
    return name, {k: float(v) for k, v in (pair.split("=") for pair in rest.split(";") if pair)}


def trained(name: str, cfg: ScoreConfig, cache: str):
    path = os.path.join(
        cache, f"{name}-{cfg.steps}-{cfg.sigma_min}-{cfg.sigma_max}-{cfg.point_frequencies}.safetensors"
    )
    if cache and os.path.exists(path):
        return model_from_checkpoint(load_checkpoint(path)), None
    cpu = time.process_time()
    ckpt = run_to_end(train_plane(cfg, make_preset(name), name))
    cpu = time.process_time() - cpu
    if cache:
        save_checkpoint(path, ckpt)
    return model_from_checkpoint(ckpt), cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="checkerboard,mixture,ring,moons")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--score", default="", help="ScoreConfig overrides, e.g. steps=4000")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--cache", default="")
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = dict(pair.split("=") for pair in args.score.split(",") if pair)
    cfg = ScoreConfig(**{k: type(getattr(ScoreConfig(), k))(v) for k, v in overrides.items()})
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = [parse_variant(v) for v in args.variants.split(",")]
    table: dict[str, list[float]] = {name: [] for name, _ in variants}
    for data in args.data.split(","):
        model, cpu = trained(data, cfg, args.cache)
        judge = judge_for(make_preset(data), data)
        n = len(judge.reference)
        score = net_score_fn(model.net)
        print(f"== {data}: training {'cached' if cpu is None else f'{cpu:.1f} s CPU'}", flush=True)
        for name, knobs in variants:
            levels = int(knobs.get("levels", cfg.levels))
            sigmas = np.geomspace(knobs.get("smax", cfg.sigma_max), knobs.get("smin", cfg.sigma_min), levels)
            eps = knobs.get("ratio", STEP_RATIO) * sigmas[-1] ** 2
            per = int(knobs.get("per", 1000 // levels))
            ratios = []
            for seed in seeds:
                start = uniform_start(n, seed)
                final = annealed_langevin(score, start, sigmas, eps, per, seed, denoise=bool(knobs.get("denoise")))
                ratios.append(judge.score(final.final) / judge.floor)
            table[name].append(float(np.mean(ratios)))
            print(
                f"  {name:12s} " + " / ".join(f"{r:.2f}" for r in ratios) + f"×, mean {np.mean(ratios):.2f}×",
                flush=True,
            )
    print("\nmean MMD²/floor over seeds " + args.seeds + ": " + ", ".join(args.data.split(",")))
    for name, values in table.items():
        print(f"  {name:12s} " + "  ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
