"""``gen-explorer eval``: score the shipped models (or one file) against the test digits.

Its own options to check: which models, which file, which sampler and guidance (for the models whose
descriptors say they take them), and whether to write the record. Every check runs before a single digit
is drawn.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

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
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.evaluation.evaluate import EvalProgress


def add_eval_command(commands: argparse._SubParsersAction) -> None:
    from explorer.core.conditional.guidance import GUIDANCE
    from explorer.core.evaluation.evaluate import MAX_N, MIN_N
    from explorer.core.families import FAMILIES
    from explorer.core.runtime.limits import SEED_MAX

    chains = "the " + titles((f for f in FAMILIES.values() if f.takes_sampler), "'s and ") + "'s"  # the DDPM's and ...
    guided = "the " + titles((f for f in FAMILIES.values() if f.guided), "'s and ") + "'s"
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
    evaluate.add_argument("--sampler", choices=SAMPLER_CHOICES, help=f"{chains} sampler: {SAMPLER_HELP} (default ddim)")
    evaluate.add_argument("--nfe", type=int, help=f"network evaluations K for {chains} draws (default 50): {NFE_HELP}")
    evaluate.add_argument("--ddim-steps", type=int, help=f"DDIM steps K for {chains} draws (default 50; as --nfe)")
    evaluate.add_argument("--eta", type=float, default=None, help=f"DDIM's η for {chains} draws (default 1)")
    evaluate.add_argument(
        "--guidance",
        type=float,
        default=None,
        help=f"{guided} classifier-free guidance weight w (default {GUIDANCE:g})",
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
    add_device(evaluate, "draw and score")


def run_evaluation(args: argparse.Namespace, device: str) -> int:
    from tqdm import tqdm

    from explorer.core.evaluation import record
    from explorer.core.evaluation.evaluate import (
        check_n,
        checkpoint_paths,
        evaluate_models,
        format_table,
        missing_message,
    )
    from explorer.core.families import FAMILIES
    from explorer.core.runtime.atomic import check_target
    from explorer.core.runtime.checkpoints import config_from_dict, load_checkpoint
    from explorer.core.runtime.progress import time_left

    check_n(args.n)
    check_seed(args.seed)
    if args.record and args.model != "all":
        raise ExplorerError("--record records every shipped model at once: use `gen-explorer eval all --record`.")
    if args.record:
        check_target(record.RECORD, "--record")
    if args.checkpoint is not None and (args.model == "all" or args.record):
        raise ExplorerError(
            "--checkpoint scores one model's file: name the model (e.g. `eval gan --checkpoint F`), without --record."
        )
    if args.checkpoint is not None and not Path(args.checkpoint).is_file():
        raise ExplorerError(f"--checkpoint: no file at {args.checkpoint}.")
    if args.checkpoint is not None:
        FAMILIES[args.model].load(args.checkpoint)  # a file of another kind, or broken: said before any work
    sampler = eval_sampler(args)
    guidance = eval_guidance(args)
    models = list(FAMILIES) if args.model == "all" else [args.model]
    overrides = {args.model: args.checkpoint} if args.checkpoint else None
    paths = checkpoint_paths(models, overrides)
    absent = [m for m in models if not paths[m].is_file()]
    if absent == models:
        raise ExplorerError(" ".join(missing_message(m, paths[m]) for m in absent))
    asked = args.nfe if args.nfe is not None else args.ddim_steps
    if asked is not None:  # as `sample` does: a cost the model cannot spend exactly is refused, before any digit
        option = "--nfe" if args.nfe is not None else "--ddim-steps"
        for model in (m for m in models if m not in absent):
            timesteps = FAMILIES[model].timesteps
            if timesteps is None:  # not drawn by a reverse chain: it takes no sampler
                continue
            stored = load_checkpoint(paths[model], kind=model).config  # the header alone
            check_nfe(
                sampler,
                timesteps(config_from_dict(FAMILIES[model].config, stored)),
                asked,
                option,
                f"the {FAMILIES[model].title}",
            )
    evaluation = evaluate_models(
        models, args.n, args.seed, device, checkpoints=overrides, ddpm_sampler=sampler, guidance=guidance
    )
    # The whole run's share and time left, as the window's status bar shows them (tqdm's own rate would
    # swing from a VAE's digits to a DDPM's).
    bar = tqdm(total=1000, dynamic_ncols=True, bar_format="{l_bar}{bar}|")
    started = time.monotonic()

    def show(progress: EvalProgress) -> None:
        bar.n = round(1000 * progress.fraction)
        bar.set_description_str(progress.stage, refresh=False)
        clock = time_left(progress.fraction, time.monotonic() - started).replace("{", "{{").replace("}", "}}")
        bar.bar_format = "{l_bar}{bar}| " + clock
        bar.refresh()

    outcome = run_with_bar(evaluation, bar, show)
    if not outcome[0]:
        raise KeyboardInterrupt
    result = outcome[1]
    print(format_table(result))
    if args.record:
        record.write_record(record.RECORD, result, paths)
        print(f"Recorded in {record.RECORD}")
    return 0


def eval_sampler(args: argparse.Namespace) -> SamplerConfig:
    """The sampler for ``eval``'s models drawn by a reverse chain (DDIM-50, η = 1, where not given), checked (an
    asked K against each model's T once the models are known)."""
    from explorer.core.families import FAMILIES

    given = sampler_given(args.sampler, args.nfe, args.ddim_steps, args.eta)
    if given and args.model != "all" and not FAMILIES[args.model].takes_sampler:
        chains = titles((f for f in FAMILIES.values() if f.takes_sampler), " and ")
        raise ExplorerError(
            f"--sampler, --nfe, --ddim-steps and --eta apply to the {chains} only, not the {FAMILIES[args.model].title}."
        )
    return sampler_config(given, "nfe" if args.nfe is not None else "ddim-steps")


def eval_guidance(args: argparse.Namespace) -> float:
    """The guidance weight for ``eval``'s guided models (the default where not given), checked."""
    from explorer.core.conditional.guidance import GUIDANCE, check_guidance
    from explorer.core.families import FAMILIES

    if args.guidance is None:
        return GUIDANCE
    if args.model != "all" and not FAMILIES[args.model].guided:
        guided = titles((f for f in FAMILIES.values() if f.guided), " and ")
        raise ExplorerError(f"--guidance applies to the {guided} only, not the {FAMILIES[args.model].title}.")
    return option_checked(check_guidance, args.guidance)
