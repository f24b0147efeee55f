"""The command line: ``gen-explorer`` opens the window; ``train``, ``sample`` and ``eval`` run headless.

Training runs the very generators the GUI runs, with a tqdm progress bar in
place of the panel's curves. Nothing here imports Qt, so training works on a
machine without it.

Every failure a user can cause ends in one line on stderr and exit code 2, found
before any work is spent: options are checked against the configs' limits, the
device and the output path are checked before training or drawing starts, and
Ctrl-C (or a SIGTERM) at any moment leaves every file as it was.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import shlex
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from explorer.cli_shared import (
    DIFFUSION,
    check_nfe,
    check_seed,
    option_checked,
    run_with_bar,
    sampler_config,
    sampler_given,
)
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.stopping import STOPPED, install_stop_handlers, stop_message

PANELS = ("pixelcnn", "vae", "diffusion", "gan", "conditional", "divergences", "evaluate", "plane", "likelihood")
SAMPLER_CHOICES = ("ddpm", "ddim", "heun", "dpm++2m")  # the core's SAMPLERS, without importing torch
SAMPLER_HELP = (
    "ddpm (all T ancestral steps), ddim (Song et al.), heun (Karras et al.'s 2nd-order ODE solver) "
    "or dpm++2m (DPM-Solver++(2M), Lu et al.)"
)
NFE_HELP = (
    "ddim and dpm++2m take K steps, 1 to T; heun K // 2 + 1 steps (2 evaluations each, the last 1), "
    "K up to 2T - 1; ddpm always T"
)


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (and exit code 2), not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


# The window's size where the screen has room; its smallest (a panel too big for it scrolls), which fits a
# 1280×720 screen with a title bar and a taskbar; the largest --size takes.
DEFAULT_SIZE, MIN_SIZE, MAX_SIZE = (1500, 950), (1024, 600), (7680, 4320)


def window_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720), within the sizes the app lays out for."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size takes WIDTHxHEIGHT, e.g. 1280x720, not {text!r}") from None
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise argparse.ArgumentTypeError(
            f"--size must be from {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}, not {text}"
        )
    return width, height


def _add_config_options(parser: argparse.ArgumentParser, config_cls: type) -> None:
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


SAVES_PERIODICALLY = (
    "pixelcnn",
    "ddpm",
    "cddpm",
)  # the families whose training can write the run so far (--save-every)


def _save_every(text: str) -> int:
    """'500' -> 500: steps between saves of the run so far, 0 (only at the end) to 10,000,000."""
    try:
        steps = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--save-every takes a whole number of steps, not {text!r}") from None
    if not 0 <= steps <= 10_000_000:
        raise argparse.ArgumentTypeError(f"--save-every must be from 0 to 10000000 steps, not {steps}")
    return steps


TRAINED_NAMES = {  # how ``train --help`` names each model
    "vae": "VAE",
    "ddpm": "DDPM",
    "gan": "GAN",
    "pixelcnn": "PixelCNN",
    "cvae": "conditional VAE",
    "cddpm": "class-conditional DDPM",
    "classifier": "classifier the metrics use",
    "noisy-classifier": "noisy-digit classifier that classifier guidance uses",
}


def trainable() -> dict[str, tuple[type, Callable, Path]]:
    """What ``train NAME`` trains: each model family and the classifier the metrics use,
    as (config dataclass, training generator, shipped checkpoint)."""
    from explorer.core.conditional.noisy_classifier import KIND as NOISY
    from explorer.core.conditional.noisy_classifier import (
        NOISY_CLASSIFIER_CHECKPOINT,
        NoisyClassifierConfig,
        train_noisy_classifier,
    )
    from explorer.core.evaluation.classifier import CLASSIFIER_CHECKPOINT, ClassifierConfig, train_classifier
    from explorer.core.families import FAMILIES

    table = {name: (f.config, f.train, f.default_checkpoint) for name, f in FAMILIES.items()}
    table["classifier"] = (ClassifierConfig, train_classifier, CLASSIFIER_CHECKPOINT)
    table[NOISY] = (NoisyClassifierConfig, train_noisy_classifier, NOISY_CLASSIFIER_CHECKPOINT)
    return table


def _add_device(parser: argparse.ArgumentParser, what: str) -> None:
    from explorer.core.runtime.jobs import spare_cores

    parser.add_argument(
        "--device",
        dest="sub_device",
        default=None,
        help=f"where to {what}: auto, cpu, cuda, cuda:N or mps (default: the best available)",
    )
    parser.add_argument(
        "--threads",
        type=thread_count,
        default=None,
        metavar="N",
        help=f"CPU threads for torch, 1 to {MAX_THREADS} (default: {spare_cores()}, every core but "
        "one; torch's own default of one per core spin-waits, many times slower, whenever "
        "another program holds a core)",
    )


MAX_THREADS = 256


def thread_count(text: str) -> int:
    """'4' -> 4, a number of CPU threads from 1 to MAX_THREADS."""
    try:
        threads = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threads takes a whole number, not {text!r}") from None
    if not 1 <= threads <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"--threads must be from 1 to {MAX_THREADS}, not {threads}")
    return threads


def build_parser() -> argparse.ArgumentParser:
    from explorer.core.conditional.guidance import GUIDANCE, MAX_GUIDANCE
    from explorer.core.evaluation.evaluate import MAX_N, MIN_N
    from explorer.core.families import FAMILIES, MAX_SAMPLES
    from explorer.core.runtime.limits import SEED_MAX
    from explorer.core.runtime.paths import user_data_dir

    parser = Parser(prog="gen-explorer", description="See how deep generative models work.")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: the best available)")
    parser.add_argument(
        "--screenshot", type=Path, metavar="FILE.png", help="render the window offscreen to FILE and exit"
    )
    parser.add_argument(
        "--size",
        type=window_size,
        default=None,
        metavar="WxH",
        help=f"window size, e.g. 1280x720 (default: {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}, or maximised "
        f"on a screen too small for it; {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]})",
    )
    parser.add_argument("--panel", choices=PANELS, default="vae", help="panel to show first")
    commands = parser.add_subparsers(dest="command")
    train = commands.add_parser("train", help="train a model from scratch and save its checkpoint")
    train_models = train.add_subparsers(dest="model", required=True)
    for name, (config_cls, _, _) in trainable().items():
        p = train_models.add_parser(name, help=f"train the {TRAINED_NAMES.get(name, name)}")
        _add_config_options(p, config_cls)
        p.add_argument(
            "--out",
            type=Path,
            default=None,
            help=f"checkpoint to write (default: {user_data_dir() / f'{name}.safetensors'})",
        )
        if name in SAVES_PERIODICALLY:
            p.add_argument(
                "--save-every",
                type=_save_every,
                default=0,
                metavar="N",
                help="also write the run so far to --out every N steps (atomically), so that a run stopped midway "
                "keeps its work; continue it with --init-from (default: 0, only at the end)",
            )
        _add_device(p, "train")
    sample = commands.add_parser("sample", help="draw samples from a trained model")
    sample.add_argument("model", choices=sorted(FAMILIES))
    sample.add_argument("-n", type=int, default=64, help=f"number of samples, 1 to {MAX_SAMPLES} (default 64)")
    sample.add_argument(
        "--out", type=Path, required=True, help="FILE.npy (float32 N×28×28 in [0, 1]) or FILE.png (grid)"
    )
    sample.add_argument("--checkpoint", type=Path, default=None, help="checkpoint to load (default: the shipped one)")
    sample.add_argument(
        "--seed", type=int, default=0, help=f"0 to {SEED_MAX} (default 0): the same seed, the same digits"
    )
    sample.add_argument("--sampler", choices=SAMPLER_CHOICES, help=f"ddpm, cddpm: {SAMPLER_HELP} (default ddim)")
    sample.add_argument("--nfe", type=int, help=f"ddpm, cddpm: network evaluations K (default 50): {NFE_HELP}")
    sample.add_argument("--ddim-steps", type=int, help="ddpm, cddpm: DDIM steps K, 1 to T (default 50; as --nfe)")
    sample.add_argument("--steps", type=int, dest="steps_alias", help=argparse.SUPPRESS)  # the old name of --ddim-steps
    sample.add_argument(
        "--eta", type=float, help="ddpm, cddpm: DDIM's noise η, from 0 (deterministic) to 1 (default 1)"
    )
    sample.add_argument("--digit", type=int, help="cvae, cddpm: the digit to draw, 0 to 9 (default: 0 to 9 in turn)")
    sample.add_argument(
        "--guidance",
        type=float,
        help=f"cddpm: classifier-free guidance weight w, "
        f"from 0 (conditional model alone) to {MAX_GUIDANCE:g} "
        f"(default {GUIDANCE:g})",
    )
    _add_device(sample, "draw")
    evaluate = commands.add_parser(
        "eval", help="score models against the MNIST test set: FID, KID, IS, class histogram"
    )
    evaluate.add_argument("model", choices=[*FAMILIES, "all"], help="a model, or all that have a checkpoint")
    evaluate.add_argument(
        "-n",
        type=int,
        default=5000,
        help=f"samples per model, and real digits for the floor, {MIN_N} to {MAX_N} (default 5000)",
    )
    evaluate.add_argument("--seed", type=int, default=0, help=f"0 to {SEED_MAX} (default 0)")
    evaluate.add_argument(
        "--sampler", choices=SAMPLER_CHOICES, help=f"the ddpm's and cddpm's sampler: {SAMPLER_HELP} (default ddim)"
    )
    evaluate.add_argument(
        "--nfe", type=int, help=f"network evaluations K for the ddpm's and cddpm's draws (default 50): {NFE_HELP}"
    )
    evaluate.add_argument(
        "--ddim-steps", type=int, help="DDIM steps K for the ddpm's and cddpm's draws (default 50; as --nfe)"
    )
    evaluate.add_argument(
        "--eta", type=float, default=None, help="DDIM's η for the ddpm's and cddpm's draws (default 1)"
    )
    evaluate.add_argument(
        "--guidance",
        type=float,
        default=None,
        help=f"the cddpm's classifier-free guidance weight w (default {GUIDANCE:g})",
    )
    evaluate.add_argument(
        "--checkpoint",
        metavar="FILE",
        default=None,
        help="score this checkpoint instead of the shipped one (one model, e.g. a run to compare)",
    )
    evaluate.add_argument(
        "--record",
        action="store_true",
        help="with `all`: also write the result to checkpoints/evaluation.json, "
        "the evaluation the Evaluate panel opens on (default: off)",
    )
    _add_device(evaluate, "draw and score")
    from explorer.plane_cli import add_plane_commands

    add_plane_commands(commands)
    return parser


def _config(config_cls: type, args: argparse.Namespace) -> Any:
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

    from explorer.core.families import FAMILIES
    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.memory import check_training_memory
    from explorer.core.runtime.paths import user_data_dir

    config_cls, train, _ = trainable()[args.model]
    cfg = _config(config_cls, args)
    out = args.out if args.out is not None else user_data_dir() / f"{args.model}.safetensors"
    if out.suffix != ".safetensors":
        raise ExplorerError(f"--out must end in .safetensors, not {out.suffix or 'nothing'}.")
    check_target(out)
    check_training_memory(args.model, cfg, torch.device(device))  # a size no device here holds: refused now
    family = FAMILIES.get(args.model)
    if family is not None and family.earlier_run is not None:  # a bad --init-from is refused before any step
        family.earlier_run(cfg)
    bar = tqdm(total=1, unit="step", dynamic_ncols=True)

    def show(snap: Any) -> None:
        bar.total = snap.total_steps
        bar.n = snap.step
        bar.set_postfix_str(snap.summary(), refresh=False)
        bar.refresh()
        if getattr(snap, "test", None):
            bar.write(f"epoch {snap.epoch:.0f}: test " + "  ".join(f"{k} {v:.2f}" for k, v in snap.test.items()))
        if getattr(snap, "test_nll", None) is not None:
            bar.write(f"step {snap.step}: test NLL {snap.test_nll:.2f} nats (on a subset of the test digits)")
        so_far = getattr(snap, "checkpoint", None)
        if so_far is not None:
            so_far.info["training"]["command"] = shlex.join(["gen-explorer", *argv])
            save_checkpoint(out, so_far)
            bar.write(f"step {snap.step}: the run so far saved to {out}")

    save_every = getattr(args, "save_every", 0)
    job = train(cfg, device, save_every=save_every) if save_every else train(cfg, device)
    outcome = run_with_bar(job, bar, show)
    if not outcome[0]:
        raise KeyboardInterrupt
    ckpt = outcome[1]
    ckpt.info["training"]["command"] = shlex.join(["gen-explorer", *argv])
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


def check_image_suffix(path: Path) -> None:
    if path.suffix not in (".npy", ".png"):
        raise ExplorerError(f"--out must end in .npy or .png, not {path.suffix or 'nothing'}.")


def write_images(path: Path, images: np.ndarray) -> None:
    """Save (N, 28, 28) images in [0, 1] as .npy (float32) or as a .png grid, atomically."""
    from explorer.core.runtime.atomic import atomic_write

    buffer = io.BytesIO()
    check_image_suffix(path)
    if path.suffix == ".npy":
        np.save(buffer, images.astype(np.float32))
    elif path.suffix == ".png":
        import torch
        from PIL import Image
        from torchvision.utils import make_grid

        grid = make_grid(
            torch.from_numpy(images)[:, None], nrow=math.ceil(math.sqrt(len(images))), padding=2, pad_value=0.3
        )
        Image.fromarray((grid[0].numpy() * 255).round().astype(np.uint8)).save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())


def _sampler_options(args: argparse.Namespace) -> dict[str, Any]:
    """DDPM's sampler from the command line (the defaults where an option is not given), checked."""
    steps = args.ddim_steps
    if args.steps_alias is not None:
        print(
            "note: `sample --steps` is now `--ddim-steps` (`--steps` counts training steps in `train`).",
            file=sys.stderr,
        )
        steps = args.steps_alias if steps is None else steps
    given = sampler_given(args.sampler, args.nfe, steps, args.eta)
    if args.model not in DIFFUSION:
        if given:
            raise ExplorerError("--sampler, --nfe, --ddim-steps and --eta apply to ddpm and cddpm only.")
        return {}
    return {"sampler": sampler_config(given, "nfe" if args.nfe is not None else "ddim-steps")}


def _conditional_options(args: argparse.Namespace) -> dict[str, Any]:
    """The digit (cvae, cddpm) and the guidance weight (cddpm) from the command line, checked."""
    from explorer.core.conditional.guidance import check_guidance
    from explorer.core.conditional.labels import check_digit
    from explorer.core.families import FAMILIES

    if args.digit is not None and not FAMILIES[args.model].conditional:
        raise ExplorerError(f"--digit applies to the conditional models (cvae, cddpm) only, not {args.model}.")
    if args.guidance is not None and args.model != "cddpm":
        raise ExplorerError(f"--guidance applies to cddpm only, not {args.model}.")
    options = {"digit": option_checked(check_digit, args.digit)} if FAMILIES[args.model].conditional else {}
    if args.guidance is not None:
        options["guidance"] = option_checked(check_guidance, args.guidance)
    return options


def run_sampling(args: argparse.Namespace, device: str) -> int:
    from tqdm import tqdm

    from explorer.core.families import FAMILIES, check_sample_count
    from explorer.core.runtime.atomic import check_target

    check_sample_count(args.n)
    check_seed(args.seed)
    check_image_suffix(args.out)
    check_target(args.out)
    options = _sampler_options(args) | _conditional_options(args)
    family = FAMILIES[args.model]
    model, cfg, _ = family.load(args.checkpoint)
    sampler = options.get("sampler")
    if sampler is not None:  # a diffusion model's config has its timesteps T
        T = cfg.timesteps
        # an asked K is spent exactly; the default K = 50 is capped at a small T
        asked = next((k for k in (args.nfe, args.ddim_steps, args.steps_alias) if k is not None), None)
        check_nfe(sampler, T, asked, "--nfe" if args.nfe is not None else "--ddim-steps")
    bar = tqdm(total=args.n, unit="digit", dynamic_ncols=True, disable=args.n < 1000)

    def show(done: int) -> None:
        bar.n = done
        bar.refresh()

    outcome = run_with_bar(family.draw(model.to(device), args.n, args.seed, **options), bar, show)
    if not outcome[0]:
        raise KeyboardInterrupt
    images = outcome[1]
    write_images(args.out, images)
    print(f"Wrote {len(images)} samples to {args.out}")
    return 0


def headless(args: argparse.Namespace, argv: list[str]) -> int:
    """Run ``train``, ``sample`` or ``eval``; every user-caused failure is one line and exit code 2."""
    from explorer.core.runtime.memory import is_out_of_memory, out_of_memory_message

    try:
        import torch

        from explorer.core.runtime.devices import pick_device
        from explorer.core.runtime.jobs import spare_cores

        torch.set_num_threads(getattr(args, "threads", None) or spare_cores())  # as the GUI's jobs: a core stays free

        device = str(pick_device(args.sub_device or args.device))
        if args.command == "train":
            return run_training(args, argv, device)
        if args.command == "sample":
            return run_sampling(args, device)
        if args.command == "plane":
            from explorer.plane_cli import run_plane

            return run_plane(args, argv)
        from explorer.evaluation_cli import run_evaluation

        return run_evaluation(args, device)
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:  # a file the user named could not be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
    except (MemoryError, RuntimeError) as exc:  # torch.OutOfMemoryError is a RuntimeError
        if not is_out_of_memory(exc):
            raise  # a bug in our code: the traceback is the report
        print(f"error: {out_of_memory_message(args.command, getattr(args, 'model', ''))}", file=sys.stderr)
    return 2


def check_screenshot(path: Path) -> None:
    """Refuse a --screenshot target before the window is rendered: a PNG file in a folder that can take it."""
    from explorer.core.runtime.atomic import check_target

    if path.suffix.lower() != ".png":
        raise ExplorerError(f"--screenshot must end in .png, not {path.suffix or 'nothing'}.")
    check_target(path, "--screenshot")


def main(argv: list[str]) -> int:
    install_stop_handlers()  # first: a stop while torch is still being imported is the same one line
    try:
        args = build_parser().parse_args(argv)
        if args.command in ("train", "sample", "eval", "plane"):
            return headless(args, argv)
        if args.screenshot:
            check_screenshot(args.screenshot)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM at any moment
        print(stop_message(argv), file=sys.stderr)
        return STOPPED
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the window: a kill ends it as before
    from explorer.app import run

    return run(args)
