"""The command line: ``gen-explorer`` opens the window; ``train``, ``sample`` and ``eval`` run headless.

Training runs the very generators the GUI runs, with a tqdm progress bar in
place of the panel's curves. Nothing here imports Qt, so training works on a
machine without it.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import shlex
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.errors import ExplorerError

PANELS = ("vae", "diffusion", "gan", "divergences", "evaluate")


def _add_config_options(parser: argparse.ArgumentParser, config_cls: type) -> None:
    """One --option per field of a model's config dataclass, defaulting to the dataclass's value."""
    for f in dataclasses.fields(config_cls):
        default = getattr(config_cls(), f.name)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(default), default=default,
                            help=f"(default: {default})")


def trainable() -> dict[str, tuple[type, Callable, Path]]:
    """What ``train NAME`` trains: each model family and the classifier the metrics use,
    as (config dataclass, training generator, default checkpoint)."""
    from explorer.core.classifier import CLASSIFIER_CHECKPOINT, ClassifierConfig, train_classifier
    from explorer.core.models import FAMILIES

    table = {name: (f.config, f.train, f.default_checkpoint) for name, f in FAMILIES.items()}
    table["classifier"] = (ClassifierConfig, train_classifier, CLASSIFIER_CHECKPOINT)
    return table


def build_parser() -> argparse.ArgumentParser:
    from explorer.core.models import FAMILIES

    parser = argparse.ArgumentParser(prog="gen-explorer", description="See how deep generative models work.")
    parser.add_argument("--device", default="auto", help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--screenshot", type=Path, metavar="FILE.png", help="render the window offscreen to FILE and exit")
    parser.add_argument("--panel", choices=PANELS, default="vae", help="panel to show first")
    commands = parser.add_subparsers(dest="command")
    train = commands.add_parser("train", help="train a model from scratch and save its checkpoint")
    train_models = train.add_subparsers(dest="model", required=True)
    for name, (config_cls, _, default_checkpoint) in trainable().items():
        p = train_models.add_parser(name, help=f"train the {name if name == 'classifier' else name.upper()}")
        _add_config_options(p, config_cls)
        p.add_argument("--out", type=Path, default=default_checkpoint, help="checkpoint to write")
        p.add_argument("--device", dest="train_device", default=None, help="cuda, mps or cpu")
    sample = commands.add_parser("sample", help="draw samples from a trained model")
    sample.add_argument("model", choices=sorted(FAMILIES))
    sample.add_argument("-n", type=int, default=64, help="number of samples")
    sample.add_argument("--out", type=Path, required=True, help="FILE.npy (float32 N×28×28 in [0, 1]) or FILE.png (grid)")
    sample.add_argument("--checkpoint", type=Path, default=None, help="checkpoint to load (default: the shipped one)")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--sampler", choices=("ddpm", "ddim"), help="ddpm only: all T ancestral steps, or DDIM")
    sample.add_argument("--steps", type=int, help="ddpm only: DDIM steps K (default 50)")
    sample.add_argument("--eta", type=float, help="ddpm only: DDIM's noise η, from 0 (deterministic) to 1 (default 1)")
    evaluate = commands.add_parser("eval", help="score models against the MNIST test set: FID, KID, IS, class histogram")
    evaluate.add_argument("model", choices=[*FAMILIES, "all"], help="a model, or all that have a checkpoint")
    evaluate.add_argument("-n", type=int, default=5000, help="samples per model, and real digits for the floor")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--eta", type=float, default=None, help="DDIM's η for the ddpm's draws (default 1)")
    evaluate.add_argument("--device", dest="eval_device", default=None, help="where the classifier runs: cuda, mps or cpu")
    return parser


def run_training(args: argparse.Namespace, argv: list[str]) -> int:
    from tqdm import tqdm

    from explorer.core.checkpoints import save_checkpoint

    config_cls, train, _ = trainable()[args.model]
    cfg = config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})
    device = args.train_device or (None if args.device == "auto" else args.device)
    training = train(cfg, device)
    bar = tqdm(total=1, unit="step", dynamic_ncols=True)

    def show(snap: Any) -> None:
        bar.total = snap.total_steps
        bar.n = snap.step
        bar.set_postfix_str(snap.summary(), refresh=False)
        bar.refresh()
        if getattr(snap, "test", None):
            bar.write(f"epoch {snap.epoch:.0f}: test " + "  ".join(f"{k} {v:.2f}" for k, v in snap.test.items()))

    finished, ckpt = run_with_bar(training, bar, show)
    if not finished:
        print("Stopped; nothing was saved.", file=sys.stderr)
        return 130
    ckpt.info["training"]["command"] = shlex.join(["gen-explorer", *argv])
    save_checkpoint(args.out, ckpt)
    print(f"Saved {args.out}")
    print("metrics: " + "  ".join(f"{k} {v:.2f}" for k, v in ckpt.info["metrics"].items()))
    return 0


def run_with_bar(job: Generator, bar: Any, show: Callable[[Any], None]) -> tuple[bool, Any]:
    """Step ``job`` to its end, showing each item it yields on the progress ``bar``; Ctrl-C
    closes the job. Returns whether it finished, and its result."""
    try:
        while True:
            show(next(job))
    except StopIteration as done:
        return True, done.value
    except KeyboardInterrupt:
        job.close()
        return False, None
    finally:
        bar.close()


def check_image_suffix(path: Path) -> None:
    if path.suffix not in (".npy", ".png"):
        raise ExplorerError(f"--out must end in .npy or .png, not {path.suffix or 'nothing'}.")


def write_images(path: Path, images: np.ndarray) -> None:
    """Save (N, 28, 28) images in [0, 1] as .npy (float32) or as a .png grid, atomically."""
    from explorer.core.atomic import atomic_write

    buffer = io.BytesIO()
    check_image_suffix(path)
    if path.suffix == ".npy":
        np.save(buffer, images.astype(np.float32))
    elif path.suffix == ".png":
        import torch
        from PIL import Image
        from torchvision.utils import make_grid

        grid = make_grid(torch.from_numpy(images)[:, None], nrow=math.ceil(math.sqrt(len(images))), padding=2, pad_value=0.3)
        Image.fromarray((grid[0].numpy() * 255).round().astype(np.uint8)).save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())


def check_eta(eta: float | None) -> None:
    if eta is not None and not 0.0 <= eta <= 1.0:
        raise ExplorerError("--eta must be between 0 and 1.")


def run_sampling(args: argparse.Namespace) -> int:
    from explorer.core.models import FAMILIES

    if args.n < 1:
        raise ExplorerError("-n must be at least 1.")
    check_image_suffix(args.out)
    options = {k: v for k, v in (("sampler", args.sampler), ("steps", args.steps), ("eta", args.eta)) if v is not None}
    if options and args.model != "ddpm":
        raise ExplorerError("--sampler, --steps and --eta apply to ddpm only.")
    if args.steps is not None and args.steps < 1:
        raise ExplorerError("--steps must be at least 1.")
    check_eta(args.eta)
    family = FAMILIES[args.model]
    model, _, _ = family.load(args.checkpoint)
    images = family.sample(model, args.n, args.seed, **options)
    write_images(args.out, images)
    print(f"Wrote {len(images)} samples to {args.out}")
    return 0


def run_evaluation(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from explorer.core.evaluation import check_n, checkpoint_paths, evaluate_models, format_table, missing_message
    from explorer.core.models import FAMILIES

    check_n(args.n)
    models = list(FAMILIES) if args.model == "all" else [args.model]
    paths = checkpoint_paths(models)
    absent = [m for m in models if not paths[m].is_file()]
    if absent == models:
        raise ExplorerError(" ".join(missing_message(m, paths[m]) for m in absent))
    device = args.eval_device or (None if args.device == "auto" else args.device)
    check_eta(args.eta)
    eta = {} if args.eta is None else {"ddpm_eta": args.eta}
    evaluation = evaluate_models(models, args.n, args.seed, device, **eta)
    bar = tqdm(total=1000, dynamic_ncols=True, bar_format="{l_bar}{bar}| {elapsed}<{remaining}")

    def show(progress: Any) -> None:
        bar.n = round(1000 * progress.fraction)
        bar.set_description_str(progress.stage, refresh=False)
        bar.refresh()

    finished, result = run_with_bar(evaluation, bar, show)
    if not finished:
        print("Stopped.", file=sys.stderr)
        return 130
    print(format_table(result))
    return 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_training(args, argv)
        if args.command == "sample":
            return run_sampling(args)
        if args.command == "eval":
            return run_evaluation(args)
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from explorer.app import run

    return run(args)
