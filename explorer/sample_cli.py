"""``gen-explorer sample NAME``: draw digits from a trained model headless, to a .npy array or a .png grid.

Which options a model takes (a sampler and its cost, a digit, a guidance weight) its family's descriptor
says; an option given to a model that does not take it is one line naming the models that do. Every check,
the output path's included, runs before the checkpoint is loaded or a digit drawn.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.cli_shared import (
    NFE_HELP,
    SAMPLER_CHOICES,
    SAMPLER_HELP,
    add_device,
    check_nfe,
    check_seed,
    option_checked,
    run_with_bar,
    sampler_config,
    sampler_given,
    titles,
)
from explorer.core.runtime.errors import ExplorerError

if TYPE_CHECKING:
    from explorer.core.diffusion.model import DDPM
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.families import ModelFamily, SampleOptions


def add_sample_command(commands: argparse._SubParsersAction) -> None:
    from explorer.core.conditional.classifier_guidance import MAX_CLASSIFIER_SCALE
    from explorer.core.conditional.guidance import GUIDANCE, MAX_GUIDANCE
    from explorer.core.families import FAMILIES, MAX_SAMPLES
    from explorer.core.runtime.limits import SEED_MAX

    chains = titles(f for f in FAMILIES.values() if f.takes_sampler)
    conditional = titles(f for f in FAMILIES.values() if f.conditional)
    guided = titles(f for f in FAMILIES.values() if f.guided)
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
    sample.add_argument("--sampler", choices=SAMPLER_CHOICES, help=f"{chains}: {SAMPLER_HELP} (default ddim)")
    sample.add_argument("--nfe", type=int, help=f"{chains}: network evaluations K (default 50): {NFE_HELP}")
    sample.add_argument("--ddim-steps", type=int, help=f"{chains}: DDIM steps K, 1 to T (default 50; as --nfe)")
    sample.add_argument("--steps", type=int, dest="steps_alias", help=argparse.SUPPRESS)  # the old name of --ddim-steps
    sample.add_argument("--eta", type=float, help=f"{chains}: DDIM's noise η, from 0 (deterministic) to 1 (default 1)")
    sample.add_argument("--digit", type=int, help=f"{conditional}: the digit to draw, 0 to 9 (default: 0 to 9 in turn)")
    sample.add_argument(
        "--guidance",
        type=float,
        help=f"{guided}: classifier-free guidance weight w, "
        f"from 0 (conditional model alone) to {MAX_GUIDANCE:g} "
        f"(default {GUIDANCE:g})",
    )
    sample.add_argument(
        "--classifier-scale",
        type=float,
        help=f"{titles(f for f in FAMILIES.values() if f.takes_sampler and not f.conditional)}: classifier guidance "
        f"(Dhariwal & Nichol 2021) towards --digit with scale s, 0 to {MAX_CLASSIFIER_SCALE:g}, by the noisy "
        "classifier (gen-explorer train noisy-classifier)",
    )
    sample.add_argument(
        "--classifier-checkpoint",
        type=Path,
        default=None,
        help="the noisy classifier classifier guidance steers with (default: the shipped one)",
    )
    add_device(sample, "draw")


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


def sample_options(args: argparse.Namespace, family: ModelFamily) -> SampleOptions:
    """The sampler (where not given, its defaults), the digit and the guidance weight from the command line,
    each checked and each refused for a model that does not take it."""
    from explorer.core.conditional.guidance import check_guidance
    from explorer.core.conditional.labels import check_digit
    from explorer.core.families import FAMILIES, SampleOptions

    steps = args.ddim_steps
    if args.steps_alias is not None:
        print(
            "note: `sample --steps` is now `--ddim-steps` (`--steps` counts training steps in `train`).",
            file=sys.stderr,
        )
        steps = args.steps_alias if steps is None else steps
    given = sampler_given(args.sampler, args.nfe, steps, args.eta)
    if given and not family.takes_sampler:
        chains = titles((f for f in FAMILIES.values() if f.takes_sampler), " and ")
        raise ExplorerError(f"--sampler, --nfe, --ddim-steps and --eta apply to the {chains} only.")
    options = SampleOptions()
    if family.takes_sampler:
        options["sampler"] = sampler_config(given, "nfe" if args.nfe is not None else "ddim-steps")
    if args.classifier_checkpoint is not None and args.classifier_scale is None:
        raise ExplorerError("--classifier-checkpoint goes with --classifier-scale.")
    if args.classifier_scale is not None:
        if not family.takes_sampler or family.conditional:
            chains = titles(f for f in FAMILIES.values() if f.takes_sampler and not f.conditional)
            raise ExplorerError(
                f"--classifier-scale steers an unconditional reverse chain ({chains}), not the {family.title}."
            )
        from explorer.core.conditional.classifier_guidance import check_classifier_scale

        option_checked(check_classifier_scale, args.classifier_scale)
        if args.digit is not None:
            option_checked(check_digit, args.digit)
        return options
    if args.digit is not None and not family.conditional:
        conditional = titles(f for f in FAMILIES.values() if f.conditional)
        raise ExplorerError(f"--digit applies to the conditional models ({conditional}) only, not the {family.title}.")
    if args.guidance is not None and not family.guided:
        guided = titles((f for f in FAMILIES.values() if f.guided), " and ")
        raise ExplorerError(f"--guidance applies to the {guided} only, not the {family.title}.")
    if family.conditional:
        options["digit"] = option_checked(check_digit, args.digit)
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
    family = FAMILIES[args.model]
    options = sample_options(args, family)
    model, cfg, _ = family.load(args.checkpoint)
    if "sampler" in options and family.timesteps is not None:  # a reverse chain of T steps
        # an asked K is spent exactly; the default K = 50 is capped at a small T
        asked = next((k for k in (args.nfe, args.ddim_steps, args.steps_alias) if k is not None), None)
        check_nfe(options["sampler"], family.timesteps(cfg), asked, "--nfe" if args.nfe is not None else "--ddim-steps")
    bar = tqdm(total=args.n, unit="digit", dynamic_ncols=True, disable=args.n < 1000)

    def show(done: int) -> None:
        bar.n = done
        bar.refresh()

    if args.classifier_scale is not None:
        job = _classifier_guided(args, model.to(device), options["sampler"], family.chunk, device)
    else:
        job = family.draw(model.to(device), args.n, args.seed, **options)
    outcome = run_with_bar(job, bar, show)
    if not outcome[0]:
        raise KeyboardInterrupt
    images = outcome[1]
    write_images(args.out, images)
    print(f"Wrote {len(images)} samples to {args.out}")
    return 0


def _classifier_guided(
    args: argparse.Namespace, model: DDPM, sampler: SamplerConfig, chunk: int, device: str
) -> Generator[int, None, np.ndarray]:
    """The DDPM steered to --digit (0 to 9 in turn without it) by the noisy classifier, its schedule checked
    against the DDPM's before any digit is drawn."""
    from explorer.core.conditional.classifier_guidance import check_pair, draw_classifier_guided
    from explorer.core.conditional.noisy_classifier import load_noisy_classifier

    classifier, cfg = load_noisy_classifier(args.classifier_checkpoint)
    check_pair(model.schedule, cfg)
    digits = np.full(args.n, args.digit) if args.digit is not None else np.arange(args.n) % 10
    return draw_classifier_guided(
        model, classifier.to(device), digits, args.classifier_scale, sampler, args.seed, chunk
    )
