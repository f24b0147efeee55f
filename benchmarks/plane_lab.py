"""The 2-D Lab's targets (issue 38), measured: default training time and quality on every preset and on a
drawn data set, the learned score's error at each σ, the samplers at their NFE, sampling speed, and the
canvas's paint latency.

    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen python benchmarks/plane_lab.py [--data ring,moons,...] [--gui]
        [--ddpm steps=4000,batch_size=256] [--ddpm-only] [--seeds 1,2] [--runs ddpm:1000,heun:49]
        [--points 20000] [--data-seeds 0,1] [--samples-out FOLDER]

``--ddpm`` overrides fields of the default DDPM config (to try new defaults); ``--ddpm-only`` trains only
the DDPM and judges it by the samplers whose figures move with training (DDPM 100, Euler 50, Heun 49), or by
``--runs``. ``--seeds`` draws each sampler from several starting noises (near 1.5 × the floor one draw does
not decide); ``--points`` sets how many points of a preset it trains on (the panel's by default), and
``--data-seeds`` which draws of them; ``--samples-out`` keeps the first seed's samples as CSV, to be looked at.

Times are wall clock and this process's CPU time (on a machine shared with other work the CPU time is
the fairer figure of what an idle core would take). Quality is MMD² (explorer/core/plane/quality.py)
against the data's floor; "at the floor" means within MARGIN × the floor.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from explorer.core.plane.data import PRESET_POINTS, PRESETS, make_preset, preset_mixture, save_points_csv
from explorer.core.plane.draw import draw, model_from_checkpoint
from explorer.core.plane.link import agreement, net_score
from explorer.core.plane.mixture import mixture_score, mode_shares
from explorer.core.plane.models import DDPMConfig, ScoreConfig
from explorer.core.plane.quality import MARGIN, Judge, judge_for
from explorer.core.plane.training import train_plane
from explorer.core.runtime.jobs import run_to_end


def drawn_heart(n: int = 3000, seed: int = 7) -> np.ndarray:
    """A stand-in for a drawn data set: points sprayed with a 0.15 brush along a heart outline."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0, 2 * math.pi, n)
    x, y = 16 * np.sin(s) ** 3, 13 * np.cos(s) - 5 * np.cos(2 * s) - 2 * np.cos(3 * s) - np.cos(4 * s)
    return (np.stack([x, y], 1) / 6 + rng.normal(0, 0.15, (n, 2))).astype(np.float32)


def timed_training(cfg, points, source):
    wall, cpu = time.perf_counter(), time.process_time()
    ckpt = run_to_end(train_plane(cfg, points, source))
    return model_from_checkpoint(ckpt), time.perf_counter() - wall, time.process_time() - cpu


def verdict(value: float, floor: float) -> str:
    return f"{value:.4f} ({value / floor:.2f}× floor{', OK' if value <= MARGIN * floor else ''})"


def ratios_text(ratios: list[float]) -> str:
    return " / ".join(f"{r:.2f}" for r in ratios) + f"×, mean {np.mean(ratios):.2f}×"


def data_lines(points: np.ndarray, source: str, judge: Judge, seeds: list[int] | tuple[int, ...]) -> None:
    """For a preset, what a perfect model scores (fresh draws of the data) and what a model that learned
    exactly its training points scores (those points redrawn with replacement), one draw per seed."""
    if source not in PRESETS:
        return
    n = len(judge.reference)
    ratios = [judge.score(make_preset(source, n, 20_000 + seed)) / judge.floor for seed in seeds]
    print(f"the data itself, fresh draws: {ratios_text(ratios)}")
    redrawn = [np.random.default_rng(seed).integers(0, len(points), n) for seed in seeds]
    ratios = [judge.score(points[rows]) / judge.floor for rows in redrawn]
    print(f"the {len(points):,} training points redrawn (a model that learned exactly them): {ratios_text(ratios)}")


def bench_data(
    name: str,
    points: np.ndarray,
    source: str,
    ddpm_cfg: DDPMConfig,
    ddpm_only: bool,
    seeds: list[int],
    runs: str,
    samples_out: str = "",
) -> None:
    judge = judge_for(points, source)
    n = len(judge.reference)
    print(f"\n== {name}: {len(points)} points, floor MMD² {judge.floor:.4f} (n = {n})")
    data_lines(points, source, judge, seeds)
    ddpm, wall, cpu = timed_training(ddpm_cfg, points, source)
    print(f"DDPM  training {ddpm_cfg}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    if runs:
        chosen = [(run.split(":")[0], int(run.split(":")[1])) for run in runs.split(",")]
    elif ddpm_only:
        chosen = [("ddpm", 100), ("euler", 50), ("heun", 49)]
    else:
        chosen = [("ddpm", 1000), ("ddpm", 100), ("ddim", 50), ("euler", 50), ("heun", 49), ("heun", 19)]
    for sampler, nfe in chosen:
        t = time.perf_counter()
        values = []
        for seed in seeds:
            trajectory, spent = draw(ddpm, sampler, n, nfe, seed=seed)
            values.append(judge.score(trajectory.final))
            if samples_out and seed == seeds[0]:
                save_points_csv(f"{samples_out}/{name}-{sampler}{nfe}.csv", trajectory.final)
        others = "".join(f", seed {s}: {v / judge.floor:.2f}×" for s, v in zip(seeds[1:], values[1:], strict=True))
        print(
            f"  {sampler:6s} {spent:4d} NFE: MMD² {verdict(values[0], judge.floor)}{others}"
            f"   [{time.perf_counter() - t:.2f} s]"
        )
    if ddpm_only:
        return
    score, wall, cpu = timed_training(ScoreConfig(), points, source)
    print(f"Score training {ScoreConfig().steps} steps: {wall:.1f} s wall, {cpu:.1f} s CPU")
    for sampler in ("annealed-langevin", "langevin"):
        trajectory, spent = draw(score, sampler, n, 1000, seed=1)
        line = f"  {sampler:17s} {spent} NFE: MMD² {verdict(judge.score(trajectory.final), judge.floor)}"
        mix = preset_mixture(source)
        if mix is not None:
            line += f"   mode shares {np.round(mode_shares(mix, trajectory.final), 2)} vs {mix.weights}"
        print(line)
    mix = preset_mixture(source)
    if mix is not None:
        rng = np.random.default_rng(3)
        rows = []
        for sigma in score.cfg.sigmas():
            at = make_preset(source, 1000, seed=9) + sigma * rng.standard_normal((1000, 2))
            cos, err = agreement(net_score(score.net, at, float(sigma)), mixture_score(mix, at, float(sigma)))
            rows.append(f"σ {sigma:.3g}: cos {cos:.3f} err {err:.2f}")
        print("  learned score vs exact at each level (points of p_σ):\n    " + "\n    ".join(rows))


def bench_sampling() -> None:
    points = make_preset("ring")
    ddpm = model_from_checkpoint(run_to_end(train_plane(DDPMConfig(steps=10), points, "ring")))
    score = model_from_checkpoint(run_to_end(train_plane(ScoreConfig(steps=10), points, "ring")))
    for model, sampler in ((ddpm, "ddim"), (ddpm, "euler"), (score, "langevin")):
        walls, cpus = [], []
        for _ in range(5):
            wall, cpu = time.perf_counter(), time.process_time()
            draw(model, sampler, 2000, 100, seed=0)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(
            f"sampling 2,000 particles × 100 steps by {sampler}: best {min(walls):.3f} s wall, "
            f"{min(cpus):.3f} s CPU (target ≤ 0.3 s)"
        )


def bench_gui(points: int) -> None:
    from PySide6.QtWidgets import QApplication

    from benchmarks.timing import stats
    from explorer.core.plane.langevin import annealed_langevin, exact_score_fn, uniform_start
    from explorer.ui.panels.plane import PlanePanel
    from explorer.ui.worker import Runner

    app = QApplication.instance() or QApplication([])
    panel = PlanePanel(Runner())
    panel.resize(1280, 660)
    panel.show()
    panel.state.update(points=make_preset("ring", points), source="ring")
    app.processEvents()
    trajectory = annealed_langevin(
        exact_score_fn(preset_mixture("ring")), uniform_start(2000, 0), ScoreConfig().sigmas(), 0.002, 40
    )
    panel.state.update(trajectory=trajectory, trajectory_title="bench", frame=0)
    app.processEvents()

    def measure(what: str, actions: list) -> None:
        wall, cpu = [], []
        for action in actions:
            t, c = time.perf_counter(), time.process_time()
            action()
            panel.canvas.repaint()
            app.processEvents()
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        print(f"{what}\n  wall: {stats(wall)}\n  CPU:  {stats(cpu)}")

    measure(
        f"scrub (frame → painted, 2,000 particles with trails, over {points:,} data points)",
        [lambda i=i: panel.timeline.set_frame(i) for i in range(len(trajectory.frames))],
    )
    panel.state.update(drawing=True, source="drawing")
    measure(
        "drag-paint (stroke → painted; the field refresh, coalesced, runs inside some of these)",
        [lambda i=i: panel._on_stroke(math.cos(i / 20) * 2, math.sin(i / 20) * 2, False) for i in range(300)],
    )
    measure(
        f"σ slider (arrows + heat map of {len(panel.state.points)} drawn points recomputed, painted)",
        [lambda i=i: (panel.state.update(sigma=0.05 * 1.07**i), panel.refresh_field()) for i in range(60)],
    )
    panel.runner.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=",".join([*PRESETS, "drawn"]))
    parser.add_argument("--gui", action="store_true")
    parser.add_argument("--sampling", action="store_true")
    parser.add_argument("--ddpm", default="", help="DDPM config overrides, e.g. steps=4000,batch_size=256")
    parser.add_argument("--ddpm-only", action="store_true")
    parser.add_argument(
        "--seeds", default="1", help="noise seeds of the samplers, e.g. 1,2 (the first is the benchmark's)"
    )
    parser.add_argument("--samples-out", default="", help="a folder to write each sampler's samples to (CSV)")
    parser.add_argument(
        "--points",
        type=int,
        default=PRESET_POINTS,
        help="points a preset trains on (the panel's); --gui: the ring shown",
    )
    parser.add_argument("--data-seeds", default="0", help="a preset's training sets, e.g. 0,1: a model each")
    parser.add_argument("--runs", default="", help="samplers and NFE to judge the DDPM by, e.g. ddpm:1000,heun:49")
    args = parser.parse_args()
    overrides = dict(pair.split("=") for pair in args.ddpm.split(",") if pair)
    ddpm_cfg = DDPMConfig(**{k: type(getattr(DDPMConfig(), k))(v) for k, v in overrides.items()})
    torch.set_num_threads(1)
    if args.gui:
        bench_gui(args.points)
        return
    if args.sampling:
        bench_sampling()
        return
    seeds = [int(seed) for seed in args.seeds.split(",")]
    for name in args.data.split(","):
        if name == "drawn":
            bench_data(name, drawn_heart(), "drawing", ddpm_cfg, args.ddpm_only, seeds, args.runs, args.samples_out)
            continue
        for data_seed in (int(seed) for seed in args.data_seeds.split(",")):
            points = make_preset(name, args.points, data_seed)
            label = name if data_seed == 0 else f"{name} (training set {data_seed})"
            bench_data(label, points, name, ddpm_cfg, args.ddpm_only, seeds, args.runs, args.samples_out)


if __name__ == "__main__":
    main()
