"""Measure FID against NFE for each sampler on the shipped DDPM and record it for the Diffusion panel.

    python benchmarks/sampler_quality.py [--target-n 5000] [--curve-n 1000] [--nfe 1,2,5,10,20,50]
                                         [--out checkpoints/sampler_quality.json] [--device cpu]
                                         [--resume] [--redo dpm++2m]

First the issue's target at ``--target-n`` (DPM-Solver++(2M) at 10 NFE against DDIM-50 with η = 0, then
Heun at 10 NFE; 0 skips it), then the curve at ``--curve-n`` for DDIM (η = 0), Heun and DPM-Solver++(2M) at
each NFE, smallest first, and the app's DDIM-50 with η = 1. Every point starts from the same x_T (seed ``--seed``)
and is scored as ``gen-explorer eval``
scores (the project's classifier features against the 10,000 test digits). The record is rewritten after
every point, so a stopped run keeps what it measured; ``--redo`` measures again only the named samplers' points
(after a change to how they step), keeping every other point of ``--out``. The 1000-step DDPM's line comes from the README's
measurements (``gen-explorer eval ddpm --sampler ddpm``: 5,893 s at N = 5,000 on one thread), too long to
repeat here.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from explorer.core.diffusion.quality_curve import RECORD, QualityCurve, measure_curve, read_curve, today, write_curve
from explorer.core.diffusion.sampler import SAMPLER_NAMES, SamplerConfig
from explorer.core.evaluation.classifier import embed, load_classifier
from explorer.core.evaluation.metrics import fid
from explorer.core.evaluation.record import file_digest
from explorer.core.families import FAMILIES
from explorer.core.runtime.data import load_mnist

# The 1000-step sampler's FID (seed 0), measured by `gen-explorer eval ddpm -n N --sampler ddpm` (README).
DDPM_1000 = {
    "5000": {"fid": 4.11, "source": "gen-explorer eval ddpm -n 5000 --sampler ddpm (README)"},
    "1000": {"fid": 7.82, "source": "gen-explorer eval ddpm -n 1000 --sampler ddpm (README)"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-n", type=int, default=5000)
    parser.add_argument("--curve-n", type=int, default=1000)
    parser.add_argument("--nfe", default="1,2,5,10,20,50")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RECORD))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resume", action="store_true", help="keep the points already in --out; draw the rest")
    parser.add_argument(
        "--redo", default="", help="comma-separated samplers to measure again, keeping the other points of --out"
    )
    args = parser.parse_args()
    redo = {name for name in args.redo.split(",") if name}
    if redo - set(SAMPLER_NAMES):
        parser.error(f"--redo takes samplers among {', '.join(SAMPLER_NAMES)}, not {args.redo}")
    nfes = [int(k) for k in args.nfe.split(",") if k]
    plan = (
        [
            (SamplerConfig("dpm++2m", 10), args.target_n),
            (SamplerConfig("ddim", 50, 0.0), args.target_n),
            (SamplerConfig("heun", 10), args.target_n),
        ]
        if args.target_n
        else []
    )
    for k in sorted(nfes):  # the cheap points of every sampler first: a stopped run keeps a whole curve's start
        if k == 50:
            plan.append((SamplerConfig("ddim", 50, 1.0), args.curve_n))  # the app's DDIM-50 (η = 1), for reference
        plan += [(SamplerConfig(name, k, 0.0), args.curve_n) for name in ("ddim", "heun", "dpm++2m")]
    earlier = read_curve(args.out) if args.resume or redo else None
    plan = list(dict.fromkeys(plan))  # a --target-n equal to --curve-n would draw its 10-NFE points twice
    if redo:
        plan = [(c, n) for c, n in plan if c.sampler in redo]
    kept = [p for p in earlier.points if p.sampler not in redo] if earlier is not None else []
    done = {(p.sampler, p.nfe, p.eta, p.n) for p in kept}

    started = time.time()
    model, _, _ = FAMILIES["ddpm"].load()
    model = model.to(args.device)
    judge, _ = load_classifier()
    reference, _ = embed(judge, load_mnist("test").floats())
    train = load_mnist("train").floats()
    floor = dict(earlier.floor) if earlier is not None else {}  # a resumed record keeps its other N's floors
    for n in sorted({n for _, n in plan}):  # the floor: n real training digits, picked as `eval` picks them
        pick = np.sort(np.random.default_rng(args.seed).choice(len(train), n, replace=False))
        floor[str(n)] = fid(embed(judge, train[pick])[0], reference)
    reference_line = dict(DDPM_1000)  # each at its own N: the panel draws the one at the plotted N, names the others
    T = model.schedule.T
    plan = [(c, n) for c, n in plan if (c.sampler, c.nfe(T), c.eta, n) not in done]
    points = kept
    job = measure_curve(model, plan, reference, judge, seed=args.seed)
    for progress in job:
        print(f"{time.time() - started:7.0f} s  {progress.text}", flush=True)
        if progress.point is not None:
            points.append(progress.point)
            digest = file_digest(FAMILIES["ddpm"].default_checkpoint)
            write_curve(args.out, QualityCurve(tuple(points), args.seed, digest, today(), reference_line, floor))
    print(f"Recorded {len(points)} points in {args.out} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
