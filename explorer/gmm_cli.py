"""The Gaussian mixture in the 2-D Lab's CLI: ``plane train gmm`` (EM), ``plane sample`` and ``plane nll``
for "gmm" checkpoints. plane_cli.py hands these over; the maths is explorer/core/likelihood/."""

from __future__ import annotations

import argparse
import dataclasses
import shlex

from explorer.core.runtime.errors import ExplorerError

GMM_OPTIONS = ("components", "iterations", "restarts", "floor")


def add_gmm_options(train: argparse.ArgumentParser) -> None:
    """``--components K`` and EM's other settings on ``plane train`` (they apply to gmm only)."""
    from explorer.core.likelihood.gmm import EMConfig
    from explorer.core.runtime.limits import describe_limit

    for f in dataclasses.fields(EMConfig):
        if f.name in GMM_OPTIONS:
            train.add_argument(
                f"--{f.name}",
                type=float if f.name == "floor" else int,
                default=None,
                help=f"gmm only: {describe_limit(f)} (default: {f.default})",
            )


def refuse_gmm_options(args: argparse.Namespace) -> None:
    """One line if a score or ddpm training was given an option that only EM takes."""
    given = [name for name in GMM_OPTIONS if getattr(args, name) is not None]
    if given:
        raise ExplorerError(f"--{given[0]} applies to plane train gmm only, not {args.plane_model}.")


def train_gmm(args: argparse.Namespace, argv: list[str]) -> int:
    """EM on the data, then the checkpoint, after every check."""
    from explorer.core.likelihood.gmm import EMConfig
    from explorer.core.likelihood.gmm_checkpoint import train_gmm as fit
    from explorer.core.plane.data import load_data
    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.limits import ConfigError

    if args.out.suffix != ".safetensors":
        raise ExplorerError(f"--out must end in .safetensors, not {args.out.suffix or 'nothing'}.")
    if args.steps is not None:
        raise ExplorerError("--steps applies to score and ddpm; EM takes --iterations.")
    given = {name: getattr(args, name) for name in (*GMM_OPTIONS, "seed") if getattr(args, name) is not None}
    try:
        cfg = EMConfig(**given)
    except ConfigError as exc:
        raise ExplorerError(exc.for_option()) from exc
    data = load_data(args.data)
    if len(data.points) < cfg.components:
        raise ExplorerError(
            f"--components {cfg.components} needs at least as many points; {data.source!r} has {len(data.points)}."
        )
    check_target(args.out)
    ckpt = fit(data, cfg)
    ckpt.info["training"] = {"command": shlex.join(["gen-explorer", *argv])}
    save_checkpoint(args.out, ckpt)
    print(f"Saved {args.out} (data {data.source!r}, {len(data.points):,} points, fingerprint {data.fingerprint})")
    print(
        f"EM: K = {cfg.components}, {cfg.iterations} iterations, best of {cfg.restarts} starts: "
        f"training NLL {ckpt.info['metrics']['train_nll']:.4f} nats per point"
    )
    return 0


def sample_gmm(args: argparse.Namespace) -> int:
    """``plane sample`` for a gmm checkpoint: z ~ π, x ~ N(μ_z, Σ_z); no sampler, NFE or η."""
    from explorer.core.likelihood.gmm_checkpoint import sample_gmm as draw
    from explorer.core.plane.data import MAX_POINTS, save_points_csv
    from explorer.core.runtime.checkpoints import load_checkpoint

    for option in ("sampler", "nfe", "eta"):
        if getattr(args, option) is not None:
            raise ExplorerError(f"--{option} does not apply to a gmm, which is sampled exactly.")
    if not 1 <= args.n <= MAX_POINTS:
        raise ExplorerError(f"-n must be an integer from 1 to {MAX_POINTS:,}, not {args.n}.")
    points = draw(load_checkpoint(args.model_path, kind="gmm"), args.n, args.seed)
    save_points_csv(args.out, points)
    print(f"Wrote {args.n:,} points to {args.out} (exact draws from the mixture)")
    return 0


def nll(args: argparse.Namespace) -> int:
    """Print the model's exact mean −log p(x) on the points, nats per point."""
    from explorer.core.kinds import a_kind
    from explorer.core.likelihood.gmm_checkpoint import gmm_nll
    from explorer.core.plane.data import load_data
    from explorer.core.runtime.checkpoints import checkpoint_kind, load_checkpoint
    from explorer.core.runtime.limits import SEED_MAX

    if not 0 <= args.seed <= SEED_MAX:
        raise ExplorerError(f"--seed must be an integer from 0 to {SEED_MAX}, not {args.seed}.")
    kind = checkpoint_kind(args.model_path)
    if kind is not None and kind != "gmm":
        raise ExplorerError(
            f"{str(args.model_path)!r} holds {a_kind(kind)}, which has no exact likelihood here; "
            f"plane nll takes {a_kind('gmm')}."
        )
    ckpt = load_checkpoint(args.model_path, kind="gmm")
    data = load_data(args.data, args.n, args.seed)
    value = gmm_nll(ckpt, data.points)
    print(f"NLL {value:.4f} nats per point ({len(data.points):,} points of {data.source!r}, exact)")
    return 0
