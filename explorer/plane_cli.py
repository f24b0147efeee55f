"""``gen-explorer plane train {score,ddpm,gmm}``, ``plane sample`` and ``plane nll`` (the gmm's parts are in
gmm_cli.py): the 2-D Lab headless, through the same core generators as the panel. Every user-caused failure
is one ExplorerError line (cli.py prints it and exits 2), found before any training step or sample is spent."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from pathlib import Path

from explorer.cli_shared import train_with_bar
from explorer.core.runtime.errors import ExplorerError
from explorer.gmm_cli import add_gmm_options, refuse_gmm_options, sample_gmm, train_gmm
from explorer.plane_flow_cli import FLOW_MODELS, add_flow_options, add_nll_command, run_nll, train_flow

MODELS = {"score": "ScoreConfig", "ddpm": "DDPMConfig"}


def add_plane_commands(commands: argparse._SubParsersAction) -> None:
    """The ``plane`` command and its ``train`` / ``sample`` subcommands."""
    from explorer.core.plane import models
    from explorer.core.plane.data import MAX_POINTS, PRESETS
    from explorer.core.plane.draw import ALL_SAMPLERS, MAX_DRAW
    from explorer.core.runtime.limits import describe_limit

    plane = commands.add_parser("plane", help="the 2-D Lab: train a score network or a 2-D DDPM on points, sample it")
    actions = plane.add_subparsers(dest="plane_command", required=True)
    train = actions.add_parser("train", help="train a 2-D Lab model and save its checkpoint")
    train.add_argument(
        "plane_model", choices=(*MODELS, *FLOW_MODELS, "gmm"), metavar="{score,ddpm,realnvp,fm,reflow,gmm}"
    )
    train.add_argument(
        "--data",
        required=True,
        metavar="PRESET|FILE.csv",
        help=f"a preset ({', '.join(PRESETS)}) or a CSV file of x,y lines (at most {MAX_POINTS:,})",
    )
    train.add_argument("--out", type=Path, required=True, metavar="MODEL.safetensors", help="checkpoint to write")
    for f in dataclasses.fields(models.DDPMConfig):
        if f.name in ("steps", "seed"):
            score_default = getattr(models.ScoreConfig(), f.name)
            default = f"{f.default} for ddpm, {score_default} for score" if score_default != f.default else f.default
            train.add_argument(f"--{f.name}", type=int, default=None, help=f"{describe_limit(f)} (default: {default})")
    train.add_argument("--device", dest="sub_device", default="cpu", help="cpu (the only one: the lab's nets are tiny)")
    add_gmm_options(train)
    add_flow_options(train)
    sample = actions.add_parser("sample", help="draw points from a 2-D Lab model")
    sample.add_argument("model_path", type=Path, metavar="MODEL.safetensors")
    sample.add_argument("-n", type=int, default=2000, help=f"points to draw, 1 to {MAX_DRAW:,} (default 2000)")
    sample.add_argument("--out", type=Path, required=True, metavar="POINTS.csv", help="x,y per line, with a header")
    sample.add_argument(
        "--sampler",
        choices=ALL_SAMPLERS,
        default=None,
        help="ddpm, ddim, euler, heun (DDPM models; default ddpm) or langevin, annealed-langevin "
        "(score models; default annealed-langevin); euler, heun (fm, reflow; default heun); "
        "inverse (realnvp)",
    )
    sample.add_argument(
        "--nfe",
        type=int,
        default=None,
        help="network evaluations, 1 to 10,000 (default: 1000 ddpm, 50 ddim, 100 euler, 49 heun, "
        "1000 langevin and annealed-langevin)",
    )
    sample.add_argument("--eta", type=float, default=None, help="DDIM's η, 0 (deterministic) to 1 (default 0)")
    sample.add_argument(
        "--denoise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="annealed-langevin: end with the final denoising step x + σ_L²·s(x, σ_L), Tweedie's E[x₀ | x] "
        "(Song & Ermon 2020; one of the NFE; default on)",
    )
    sample.add_argument(
        "--seed", type=int, default=0, help="0 to 2**32 - 1 (default 0): the same seed, the same points"
    )
    sample.add_argument("--device", dest="sub_device", default="cpu", help=argparse.SUPPRESS)
    add_nll_command(actions)


def run_plane(args: argparse.Namespace, argv: list[str]) -> int:
    if args.plane_command == "train":
        if args.plane_model == "gmm":
            return train_gmm(args, argv)
        refuse_gmm_options(args)
        return train_flow(args, argv) if args.plane_model in FLOW_MODELS else _train(args, argv)
    if args.plane_command == "nll":
        return run_nll(args)
    return _sample(args)


def _train(args: argparse.Namespace, argv: list[str]) -> int:

    from explorer.core.plane import models
    from explorer.core.plane.data import load_data
    from explorer.core.plane.draw import default_nfe, draw, model_from_checkpoint
    from explorer.core.plane.quality import judge_for
    from explorer.core.plane.training import train_plane
    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.limits import ConfigError

    if args.sub_device not in ("cpu", "auto"):
        raise ExplorerError(f"--device: the 2-D Lab trains on the cpu (its nets are tiny), not {args.sub_device!r}.")
    if args.out.suffix != ".safetensors":
        raise ExplorerError(f"--out must end in .safetensors, not {args.out.suffix or 'nothing'}.")
    given = {k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None}
    try:
        cfg = getattr(models, MODELS[args.plane_model])(**given)
    except ConfigError as exc:
        raise ExplorerError(exc.for_option()) from exc
    data = load_data(args.data)
    check_target(args.out)
    job = train_plane(cfg, data.points, data.source)
    ckpt = train_with_bar(job, cfg.steps)
    model = model_from_checkpoint(ckpt)
    judge = judge_for(data.points, data.source)
    sampler = "annealed-langevin" if args.plane_model == "score" else "heun"
    trajectory, nfe = draw(model, sampler, len(judge.reference), default_nfe(sampler), seed=1)
    value = judge.score(trajectory.final)
    ckpt.info["metrics"] |= {"mmd2": value, "mmd2_floor": judge.floor, "nfe": nfe}
    ckpt.info["quality_sampler"] = sampler  # how the MMD² samples were drawn (metrics hold numbers only)
    ckpt.info["training"]["command"] = shlex.join(["gen-explorer", *argv])
    save_checkpoint(args.out, ckpt)
    print(f"Saved {args.out} (data {data.source!r}, {len(data.points):,} points, fingerprint {data.fingerprint})")
    print(
        f"loss {ckpt.info['metrics']['loss']:.4f}  MMD² {value:.4f} by {sampler} ({nfe} NFE), "
        f"data's floor {judge.floor:.4f}: {judge.verdict(value)}"
    )
    return 0


def _sample(args: argparse.Namespace) -> int:
    from explorer.core.plane.data import save_points_csv
    from explorer.core.plane.draw import default_nfe, draw, load_plane_model
    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import checkpoint_kind
    from explorer.core.runtime.limits import SEED_MAX

    if args.out.suffix != ".csv":
        raise ExplorerError(f"--out must end in .csv, not {args.out.suffix or 'nothing'}.")
    if not 0 <= args.seed <= SEED_MAX:
        raise ExplorerError(f"--seed must be an integer from 0 to {SEED_MAX}, not {args.seed}.")
    if args.nfe is not None and not 1 <= args.nfe <= 10_000:
        raise ExplorerError(f"--nfe must be an integer from 1 to 10,000, not {args.nfe}.")
    if args.eta is not None and not 0.0 <= args.eta <= 1.0:
        raise ExplorerError(f"--eta must be a number from 0 to 1, not {args.eta}.")
    check_target(args.out)
    if checkpoint_kind(args.model_path) == "gmm":
        return sample_gmm(args)
    model = load_plane_model(args.model_path)
    sampler = args.sampler or {"plane-score": "annealed-langevin", "plane-ddpm": "ddpm"}.get(
        model.kind, model.samplers[-1]
    )
    if args.eta is not None and sampler != "ddim":
        raise ExplorerError("--eta applies to --sampler ddim only.")
    if args.denoise is not None and sampler != "annealed-langevin":
        raise ExplorerError("--denoise / --no-denoise apply to --sampler annealed-langevin only.")
    denoise = args.denoise is not False
    trajectory, nfe = draw(
        model, sampler, args.n, args.nfe or default_nfe(sampler), args.eta or 0.0, args.seed, denoise
    )
    save_points_csv(args.out, trajectory.final)
    print(f"Wrote {args.n:,} points to {args.out} ({sampler}, {nfe} network evaluations)")
    return 0
