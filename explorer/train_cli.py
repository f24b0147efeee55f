"""``gen-explorer train NAME``: train a model family (or the classifier the metrics use) headless and save its
checkpoint.

The options are the fields of the family's config (with their limits); what a family supports beyond them
(--save-every, continuing an earlier run) its descriptor says. Training runs the very generator the panel
runs, with a tqdm progress bar in place of the panel's curves. The output path, the memory the config needs
and an earlier run to continue are checked before the first step.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.cli_shared import add_device, run_with_bar, whole_number
from explorer.core.runtime.errors import ExplorerError

if TYPE_CHECKING:  # imported where used, so that `--help` starts without the training code
    from explorer.core.families import Train
    from explorer.core.runtime.checkpoints import Checkpoint

MAX_SAVE_EVERY = 10_000_000


@dataclass(frozen=True)
class Trainable:
    """What ``train NAME`` needs of a model: its config dataclass, its training generator, how it continues
    an earlier run (None: it cannot) and whether it can save the run so far every N steps."""

    title: str
    config: type
    train: Train
    earlier_run: Callable[[Any], Checkpoint | None] | None = None  # checks the file a config's ``init_from`` names
    saves_every: bool = False


def trainable() -> dict[str, Trainable]:
    """What ``train NAME`` trains: each model family, the classifier the metrics use and the noisy classifier
    that classifier guidance steers with."""
    from explorer.core.conditional.noisy_classifier import KIND as NOISY
    from explorer.core.conditional.noisy_classifier import NoisyClassifierConfig, train_noisy_classifier
    from explorer.core.evaluation.classifier import ClassifierConfig, train_classifier
    from explorer.core.families import FAMILIES

    table = {name: Trainable(f.title, f.config, f.train, f.earlier_run, f.saves_every) for name, f in FAMILIES.items()}
    table["classifier"] = Trainable("classifier the metrics use", ClassifierConfig, train_classifier)
    table[NOISY] = Trainable(
        "noisy-digit classifier that classifier guidance uses", NoisyClassifierConfig, train_noisy_classifier
    )
    return table


# Steps between saves of the run so far, 0 (only at the end) to MAX_SAVE_EVERY.
save_every = whole_number("--save-every", 0, MAX_SAVE_EVERY, "steps")


def add_config_options(parser: argparse.ArgumentParser, config_cls: type) -> None:
    """One --option per field of a model's config dataclass, with its default and its limits."""
    from explorer.core.runtime.limits import describe_limit

    for f in dataclasses.fields(config_cls):
        default = getattr(config_cls(), f.name)
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=type(default),
            default=default,
            help=f"{describe_limit(f)} (default: {default})",
        )


def add_train_command(commands: argparse._SubParsersAction) -> None:
    """``train NAME`` with one subcommand per trainable model."""
    from explorer.core.runtime.paths import user_data_dir

    train = commands.add_parser("train", help="train a model from scratch and save its checkpoint")
    train_models = train.add_subparsers(dest="model", required=True)
    for name, model in trainable().items():
        p = train_models.add_parser(name, help=f"train the {model.title}")
        add_config_options(p, model.config)
        p.add_argument(
            "--out",
            type=Path,
            default=None,
            help=f"checkpoint to write (default: {user_data_dir() / f'{name}.safetensors'})",
        )
        if model.saves_every:
            p.add_argument(
                "--save-every",
                type=save_every,
                default=0,
                metavar="N",
                help="also write the run so far to --out every N steps (atomically), so that a run stopped midway "
                "keeps its work; continue it with --init-from (default: 0, only at the end)",
            )
        add_device(p, "train")


def config_from_options(config_cls: type, args: argparse.Namespace) -> object:
    """The config from the parsed options, its limits checked (the message names the option)."""
    from explorer.core.runtime.limits import ConfigError

    try:
        return config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})
    except ConfigError as exc:
        raise ExplorerError(exc.for_option()) from exc


def _fallback_path(name: str) -> Path:
    from explorer.core.runtime.paths import user_data_dir

    return user_data_dir() / f"{name}-unsaved-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"


def run_training(args: argparse.Namespace, argv: list[str], device: str) -> int:
    import torch
    from tqdm import tqdm

    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.memory import check_training_memory
    from explorer.core.runtime.paths import user_data_dir

    model = trainable()[args.model]
    cfg = config_from_options(model.config, args)
    out = args.out if args.out is not None else user_data_dir() / f"{args.model}.safetensors"
    if out.suffix != ".safetensors":
        raise ExplorerError(f"--out must end in .safetensors, not {out.suffix or 'nothing'}.")
    check_target(out)
    check_training_memory(args.model, cfg, torch.device(device))  # a size no device here holds: refused now
    if model.earlier_run is not None:  # a bad --init-from is refused before any step
        model.earlier_run(cfg)
    bar = tqdm(total=1, unit="step", dynamic_ncols=True)
    command = shlex.join(["gen-explorer", *argv])

    def show(snap: Any) -> None:  # each family's snapshot; some carry test scores or the run so far
        bar.total = snap.total_steps
        bar.n = snap.step
        bar.set_postfix_str(snap.summary(), refresh=False)
        bar.refresh()
        if getattr(snap, "test", None):
            bar.write(f"epoch {snap.epoch:.0f}: test " + "  ".join(f"{k} {v:.2f}" for k, v in snap.test.items()))
        if getattr(snap, "test_nll", None) is not None:
            bar.write(f"step {snap.step}: test NLL {snap.test_nll:.2f} nats (on a subset of the test digits)")
        so_far: Checkpoint | None = getattr(snap, "checkpoint", None)
        if so_far is not None:
            so_far.info["training"]["command"] = command
            save_checkpoint(out, so_far)
            bar.write(f"step {snap.step}: the run so far saved to {out}")

    every = getattr(args, "save_every", 0)
    job = model.train(cfg, device, save_every=every) if every else model.train(cfg, device)
    outcome = run_with_bar(job, bar, show)
    if not outcome[0]:
        raise KeyboardInterrupt
    ckpt = outcome[1]
    ckpt.info["training"]["command"] = command
    try:
        save_checkpoint(out, ckpt)
    except OSError as exc:  # the disk filled up or the folder went away during training
        fallback = _fallback_path(args.model)
        try:
            save_checkpoint(fallback, ckpt)
        except OSError as also:
            raise ExplorerError(
                f"could not write {out} ({exc.strerror or exc}), nor {fallback} in the data folder "
                f"({also.strerror or also}): the trained model was lost."
            ) from also
        raise ExplorerError(
            f"could not write {out} ({exc.strerror or exc}); the trained model is saved as {fallback} instead."
        ) from exc
    print(f"Saved {out}")
    print("metrics: " + "  ".join(f"{k} {v:.2f}" for k, v in ckpt.info["metrics"].items()))
    return 0
