"""``gen-explorer plane train {realnvp,fm,reflow}`` and ``plane nll``: the 2-D Lab's flows headless,
through the same core generators as the panel. Every user-caused failure is one ExplorerError line
(cli.py prints it and exits 2), found before any training step is spent."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from pathlib import Path

from explorer.cli_shared import train_with_bar
from explorer.core.kinds import a_kind, kind_title
from explorer.core.runtime.errors import ExplorerError

FLOW_MODELS = ("realnvp", "fm", "reflow")
NLL_POINTS = 5000  # a preset's held-out draw for ``plane nll``
HELD_OUT_SEED = 1  # the training data is a preset's draw from seed 0; seed 1 gives points it never saw


def add_flow_options(train: argparse.ArgumentParser) -> None:
    """The options only the flows take: ``--from`` (reflow) and ``--pairing`` (flow matching)."""
    from explorer.core.plane.flow_matching import PAIRINGS
    from explorer.core.plane.reflow import ReflowConfig
    from explorer.core.runtime.limits import describe_limit

    train.add_argument(
        "--from",
        dest="from_model",
        type=Path,
        default=None,
        metavar="MODEL.safetensors",
        help="reflow: the flow-matching model whose (noise, sample) pairs the new field is trained on",
    )
    train.add_argument(
        "--pairing",
        choices=PAIRINGS,
        default=None,
        help="fm: independent (noise, data) pairs, or minibatch optimal-transport pairs (default independent)",
    )
    for f in dataclasses.fields(ReflowConfig):
        if f.name in ("pairs", "pair_nfe"):
            train.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=int,
                default=None,
                help=f"reflow: {describe_limit(f)} (default: {f.default}); "
                + ("(noise, sample) pairs drawn" if f.name == "pairs" else "Heun's evaluations per pair"),
            )


def add_nll_command(actions: argparse._SubParsersAction) -> None:
    nll = actions.add_parser("nll", help="exact mean negative log-likelihood of points under a flow or a gmm, in nats")
    nll.add_argument("model_path", type=Path, metavar="MODEL.safetensors", help="a realnvp, fm, reflow or gmm model")
    nll.add_argument(
        "--data",
        required=True,
        metavar="POINTS.csv|PRESET",
        help="a CSV file of x,y lines, or a preset (then fresh points it was not trained on)",
    )
    nll.add_argument(
        "-n", type=int, default=NLL_POINTS, help=f"points of a preset, 1 to 100,000 (default {NLL_POINTS:,})"
    )
    nll.add_argument(
        "--seed",
        type=int,
        default=HELD_OUT_SEED,
        help=f"the preset's seed (default {HELD_OUT_SEED}: not the training draw, seed 0)",
    )
    nll.add_argument("--device", dest="sub_device", default="cpu", help=argparse.SUPPRESS)


def _config(args: argparse.Namespace):
    from explorer.core.plane.flow_matching import FlowMatchingConfig
    from explorer.core.plane.realnvp import RealNVPConfig
    from explorer.core.plane.reflow import ReflowConfig
    from explorer.core.runtime.limits import ConfigError

    model = args.plane_model
    if model == "reflow" and args.from_model is None:
        raise ExplorerError("plane train reflow needs --from MODEL.safetensors, the flow-matching model to reflow.")
    if model != "reflow" and args.from_model is not None:
        raise ExplorerError(f"--from applies to plane train reflow only, not {model}.")
    if model != "fm" and args.pairing is not None:
        raise ExplorerError(
            f"--pairing applies to plane train fm only, not {model} (a reflow trains on the first model's own pairs)."
        )
    if model != "reflow" and (args.pairs is not None or args.pair_nfe is not None):
        raise ExplorerError(f"--pairs and --pair-nfe apply to plane train reflow only, not {model}.")
    options = ("steps", "seed", "pairing", "pairs", "pair_nfe")
    given = {k: getattr(args, k) for k in options if getattr(args, k) is not None}
    try:
        return {"realnvp": RealNVPConfig, "fm": FlowMatchingConfig, "reflow": ReflowConfig}[model](**given)
    except ConfigError as exc:
        raise ExplorerError(exc.for_option()) from exc


def _teacher(path: Path, fingerprint: str):
    """The checkpoint a reflow starts from, refused unless it is a flow-matching model of the same data."""
    from explorer.core.runtime.checkpoints import checkpoint_kind, load_checkpoint
    from explorer.core.runtime.quoting import quoted

    kind = checkpoint_kind(path)
    if kind is not None and kind not in ("plane-fm", "plane-reflow"):
        raise ExplorerError(
            f"--from {str(path)!r} holds {a_kind(kind)}; reflow needs {a_kind('plane-fm')} or {a_kind('plane-reflow')}."
        )
    teacher = load_checkpoint(path)
    dataset = teacher.info.get("dataset")
    dataset = dataset if isinstance(dataset, dict) else {"source": dataset}
    trained_on = dataset.get("fingerprint")
    if trained_on != fingerprint:
        raise ExplorerError(
            f"--from {str(path)!r} was trained on other data ({quoted(dataset.get('source', '?'))}, "
            f"fingerprint {quoted(trained_on)}) than --data (fingerprint {fingerprint!r})."
        )
    return teacher


def train_flow(args: argparse.Namespace, argv: list[str]) -> int:
    """Train a RealNVP, a flow-matching field or a reflow, judge its samples, record its test NLL, save it."""

    from explorer.core.plane.data import PRESETS, load_data, preset_mixture
    from explorer.core.plane.draw import default_nfe, draw, model_from_checkpoint
    from explorer.core.plane.flow_training import reflow_teacher, train_flow_matching, train_realnvp, train_reflow
    from explorer.core.plane.flows import flow_log_likelihood, mixture_entropy
    from explorer.core.plane.quality import judge_for
    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import save_checkpoint

    if args.sub_device not in ("cpu", "auto"):
        raise ExplorerError(f"--device: the 2-D Lab trains on the cpu (its nets are tiny), not {args.sub_device!r}.")
    if args.out.suffix != ".safetensors":
        raise ExplorerError(f"--out must end in .safetensors, not {args.out.suffix or 'nothing'}.")
    cfg = _config(args)
    data = load_data(args.data)
    teacher = _teacher(args.from_model, data.fingerprint) if args.plane_model == "reflow" else None
    if teacher is not None:  # the new field keeps the first one's shape
        cfg = dataclasses.replace(cfg, hidden=teacher.config["hidden"], layers=teacher.config["layers"])
        reflow_teacher(cfg, teacher)  # every check on the teacher, before any pair is drawn
    check_target(args.out)
    if teacher is not None:
        job = train_reflow(cfg, teacher)
    elif args.plane_model == "fm":
        job = train_flow_matching(cfg, data.points, data.source)
    else:
        job = train_realnvp(cfg, data.points, data.source)
    ckpt = train_with_bar(job, cfg.steps)
    model = model_from_checkpoint(ckpt)
    judge = judge_for(data.points, data.source)
    sampler = model.samplers[-1]
    trajectory, nfe = draw(model, sampler, len(judge.reference), default_nfe(sampler), seed=1)
    value = judge.score(trajectory.final)
    metrics: dict[str, float] = {"mmd2": value, "mmd2_floor": judge.floor, "nfe": nfe}
    mixture = preset_mixture(args.data)
    if args.data in PRESETS:  # a fresh draw the model never saw is a preset's test set
        held_out = load_data(args.data, NLL_POINTS, HELD_OUT_SEED).points
        metrics["test_nll"] = float(-flow_log_likelihood(model.flow, held_out).mean())
    ckpt.info["metrics"] |= metrics
    ckpt.info["quality_sampler"] = sampler  # how the MMD² samples were drawn (metrics hold numbers only)
    ckpt.info["training"]["command"] = shlex.join(["gen-explorer", *argv])
    save_checkpoint(args.out, ckpt)
    print(f"Saved {args.out} (data {data.source!r}, {len(data.points):,} points, fingerprint {data.fingerprint})")
    print(
        f"loss {ckpt.info['metrics']['loss']:.4f}  MMD² {value:.4f} by {sampler} ({nfe} NFE), "
        f"data's floor {judge.floor:.4f}: {judge.verdict(value)}"
    )
    if "test_nll" in metrics:
        beside = f"; the data's true entropy {mixture_entropy(mixture):.4f} nats" if mixture is not None else ""
        print(f"test NLL {metrics['test_nll']:.4f} nats on {NLL_POINTS:,} fresh points{beside}")
    return 0


def run_nll(args: argparse.Namespace) -> int:
    """Print the mean negative log-likelihood of the points under the model, in nats."""
    from explorer.core.plane.data import PRESETS, load_data, preset_mixture
    from explorer.core.plane.draw import load_plane_model
    from explorer.core.plane.flow_training import FLOW_KINDS
    from explorer.core.plane.flows import flow_log_likelihood, mixture_entropy
    from explorer.core.runtime.checkpoints import checkpoint_kind

    kind = checkpoint_kind(args.model_path)
    if kind == "gmm":
        from explorer.gmm_cli import nll as gmm_nll

        return gmm_nll(args)
    if kind in ("plane-ddpm", "plane-score"):
        what = "only a bound (the ELBO)" if kind == "plane-ddpm" else "none (a score has no normaliser)"
        raise ExplorerError(
            f"{str(args.model_path)!r} holds {a_kind(kind)}, whose likelihood is {what}; "
            f"plane nll takes the flows ({', '.join(kind_title(k) for k in FLOW_KINDS)}) and {a_kind('gmm')}."
        )
    model = load_plane_model(args.model_path)
    preset = args.data in PRESETS
    points = load_data(args.data, args.n, args.seed).points if preset else load_data(args.data).points
    nll = float(-flow_log_likelihood(model.flow, points).mean())
    how = "change of variables" if kind == "plane-realnvp" else "instantaneous change of variables along the ODE"
    print(f"mean NLL {nll:.4f} nats over {len(points):,} points ({kind_title(model.kind)}, exact by the {how})")
    mixture = preset_mixture(args.data) if preset else None
    if mixture is not None:
        print(f"the data's true entropy {mixture_entropy(mixture):.4f} nats (the least any model can reach)")
    return 0
