"""The 2-D Lab's flow targets (issue 39), measured: default training time and quality of the RealNVP and
flow matching on every preset and a drawn set; test NLL on the known mixture beside its true entropy;
quality against NFE before and after one reflow, with straightness; the ODE likelihood heat map's time.

    OMP_NUM_THREADS=1 python benchmarks/plane_flows.py [--data ring,moons,...] [--nll-points 20000] [--skip-train]
        [--realnvp couplings=12,steps=2000] [--fm steps=5000] [--only realnvp|fm] [--seeds 1,2,3] [--no-nll]
        [--data-seeds 0,1,2] [--points 8000]

``--realnvp`` and ``--fm`` override fields of the default configs (to try new defaults); ``--only`` trains
one family on the presets and measures nothing else but its NLL on the known mixture; ``--points`` sets how
many points of a preset each model trains on (and the memorised-data line redraws).

Times are wall clock and this process's CPU time (on a machine shared with other work the CPU time is the
fairer figure of what an idle core would take). Quality is MMD² against the data's floor (quality.py);
"OK" means within MARGIN × the floor.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plane_lab import data_lines, drawn_heart, ratios_text, verdict

from explorer.core.plane.data import BOX, KNOWN_MIXTURE, PRESET_POINTS, PRESETS, fingerprint, make_preset
from explorer.core.plane.draw import draw, model_from_checkpoint
from explorer.core.plane.flow_matching import FlowMatchingConfig
from explorer.core.plane.flow_training import train_flow_matching, train_realnvp, train_reflow
from explorer.core.plane.flows import flow_log_likelihood, mixture_entropy
from explorer.core.plane.ode_likelihood import log_likelihood_grid
from explorer.core.plane.quality import judge_for
from explorer.core.plane.realnvp import RealNVPConfig
from explorer.core.plane.reflow import ReflowConfig, straightness
from explorer.core.runtime.jobs import run_to_end

NFES = (1, 2, 5, 10, 20, 50)


def timed(job):
    wall, cpu = time.perf_counter(), time.process_time()
    ckpt = run_to_end(job)
    return ckpt, time.perf_counter() - wall, time.process_time() - cpu


def bench_training(
    name: str,
    points: np.ndarray,
    source: str,
    realnvp: RealNVPConfig,
    fm: FlowMatchingConfig,
    only: str,
    seeds: tuple[int, ...] = (1,),
) -> None:
    """Train each family once and judge its samples from every noise seed in ``seeds`` (the ratio of one draw
    moves by ±0.3 near 1.5×, so several seeds and their mean are the fairer figure); beside them, for a
    preset, fresh draws of the data itself (what a perfect model would score) and draws with replacement
    from the training points (what a model that learned exactly its training set would score)."""
    judge = judge_for(points, source)
    n = len(judge.reference)
    print(f"\n== {name}: {len(points)} points ({fingerprint(points)}), floor MMD² {judge.floor:.4f}")
    data_lines(points, source, judge, seeds)
    runs = (
        ("RealNVP", lambda: train_realnvp(realnvp, points, source), "inverse", 1),
        ("FM", lambda: train_flow_matching(fm, points, source), "heun", 49),
    )
    for label, make_job, sampler, nfe in runs:
        if only and label.lower() != only:
            continue
        job = make_job()
        ckpt, wall, cpu = timed(job)
        model = model_from_checkpoint(ckpt)
        finals = [draw(model, sampler, n, nfe, seed=seed)[0].final for seed in seeds]
        scores = [judge.score(final) for final in finals]
        line = f"{label:8s} {ckpt.config['steps']} steps: {wall:.1f} s wall, {cpu:.1f} s CPU; {sampler} {nfe} NFE: "
        if len(seeds) == 1:
            print(line + f"MMD² {verdict(scores[0], judge.floor)}")
        else:
            print(line + f"MMD²/floor from noise seeds {seeds}: {ratios_text([s / judge.floor for s in scores])}")


def bench_nll(n_points: int, realnvp: RealNVPConfig, fm: FlowMatchingConfig, only: str = "") -> None:
    """Test NLL on 5,000 fresh points of the known mixture, models trained on ``n_points`` of it."""
    entropy = mixture_entropy(KNOWN_MIXTURE)
    points = make_preset("mixture", n_points, 0)
    test = make_preset("mixture", 5000, 1)
    print(
        f"\n== NLL on the known mixture: true entropy {entropy:.4f} nats (Monte Carlo, 400,000 draws); "
        f"trained on {n_points:,} points, tested on 5,000 fresh"
    )
    for label, make_job in (
        ("RealNVP", lambda: train_realnvp(realnvp, points, "mixture")),
        ("FM", lambda: train_flow_matching(fm, points, "mixture")),
    ):
        if only and label.lower() != only:
            continue
        ckpt, wall, cpu = timed(make_job())
        model = model_from_checkpoint(ckpt)
        nll = float(-flow_log_likelihood(model.net, test).mean())
        print(
            f"{label:8s} test NLL {nll:.4f} nats, {nll - entropy:+.4f} from the entropy  [{wall:.0f} s wall, {cpu:.0f} s CPU]"
        )


def bench_reflow(source: str, pairing: str) -> None:
    points = make_preset(source)
    judge = judge_for(points, source)
    n = len(judge.reference)
    first, wall, cpu = timed(train_flow_matching(FlowMatchingConfig(pairing=pairing), points, source))
    second, wall2, cpu2 = timed(train_reflow(ReflowConfig(), first))
    print(
        f"\n== Reflow on {source} ({pairing} pairs): first field {wall:.0f} s wall / {cpu:.0f} s CPU, "
        f"reflow (pairs + training) {wall2:.0f} s wall / {cpu2:.0f} s CPU; floor {judge.floor:.4f}"
    )
    for label, ckpt in (("first", first), ("reflowed", second)):
        model = model_from_checkpoint(ckpt)
        print(f"{label:9s} straightness S = {straightness(model.net):.4f}")
        for sampler in ("euler", "heun"):
            ratios = [judge.score(draw(model, sampler, n, k, seed=1)[0].final) / judge.floor for k in NFES]
            print(f"  {sampler:5s} MMD²/floor at NFE {NFES}: " + "  ".join(f"{r:.2f}" for r in ratios))


def bench_heat_map() -> None:
    points = make_preset("mixture", 2000, 0)
    ckpt = run_to_end(train_flow_matching(FlowMatchingConfig(steps=200), points, "mixture"))
    net = model_from_checkpoint(ckpt).net
    walls, cpus = [], []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        log_likelihood_grid(net, (-BOX, BOX, -BOX, BOX), 100)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(
        f"\n== FM log-likelihood heat map 100×100 (12 Heun steps, exact divergence): "
        f"median {sorted(walls)[1]:.2f} s wall, {sorted(cpus)[1]:.2f} s CPU"
    )


def overridden(cfg: Any, text: str) -> Any:
    """``cfg`` with the fields ``text`` names (``field=value,…``) set, each parsed as its default's type."""
    pairs = dict(pair.split("=") for pair in text.split(",") if pair)
    return replace(cfg, **{k: type(getattr(cfg, k))(v) for k, v in pairs.items()})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=",".join([*PRESETS, "drawn"]))
    parser.add_argument("--nll-points", type=int, default=20_000)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--realnvp", default="", help="RealNVP config overrides, e.g. couplings=12,steps=2000")
    parser.add_argument("--fm", default="", help="flow-matching config overrides, e.g. steps=5000")
    parser.add_argument("--only", choices=("realnvp", "fm"), default="")
    parser.add_argument("--seeds", default="1", help="noise seeds of the samples judged, e.g. 1,2,3")
    parser.add_argument("--no-nll", action="store_true", help="skip the test NLL on the known mixture")
    parser.add_argument(
        "--data-seeds", default="0", help="a preset's training sets: each seed's points train a model of its own"
    )
    parser.add_argument("--points", type=int, default=PRESET_POINTS, help="points a preset trains on")
    args = parser.parse_args()
    realnvp, fm = overridden(RealNVPConfig(), args.realnvp), overridden(FlowMatchingConfig(), args.fm)
    torch.set_num_threads(1)
    if not args.only:
        bench_heat_map()
        bench_reflow("mixture", "independent")
    seeds = tuple(int(seed) for seed in args.seeds.split(","))
    if not args.no_nll:
        bench_nll(args.nll_points, realnvp, fm, args.only)
    if not args.skip_train:
        for name in args.data.split(","):
            if name == "drawn":
                bench_training("drawn heart", drawn_heart(), "drawing", realnvp, fm, args.only, seeds)
            else:
                for data_seed in (int(seed) for seed in args.data_seeds.split(",")):
                    points = make_preset(name, args.points, data_seed)
                    bench_training(name, points, name, realnvp, fm, args.only, seeds)
    if not args.only:
        bench_reflow("mixture", "ot")


if __name__ == "__main__":
    main()
