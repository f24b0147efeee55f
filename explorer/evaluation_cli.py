"""``gen-explorer eval``: score the shipped models (or one file) against the test digits.

Kept apart from :mod:`explorer.cli` because it has its own options to check: which
models, which file, which sampler and guidance, and whether to write the record. Every
check runs before a single digit is drawn.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
        for model in (m for m in models if m in DIFFUSION and m not in absent):
            stored = load_checkpoint(paths[model], kind=model).config  # the header alone
            check_nfe(
                sampler, config_from_dict(FAMILIES[model].config, stored).timesteps, asked, option, f"the {model} model"
            )
    evaluation = evaluate_models(
        models, args.n, args.seed, device, checkpoints=overrides, ddpm_sampler=sampler, guidance=guidance
    )
    bar = tqdm(total=1000, dynamic_ncols=True, bar_format="{l_bar}{bar}| {elapsed}<{remaining}")

    def show(progress: Any) -> None:
        bar.n = round(1000 * progress.fraction)
        bar.set_description_str(progress.stage, refresh=False)
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


def eval_sampler(args: argparse.Namespace) -> Any:
    """The ddpm's and cddpm's sampler for ``eval`` (DDIM-50, η = 1, where not given), checked (an asked K
    against each model's T once the models are known)."""
    given = sampler_given(args.sampler, args.nfe, args.ddim_steps, args.eta)
    if given and args.model not in (*DIFFUSION, "all"):
        raise ExplorerError(f"--sampler, --nfe, --ddim-steps and --eta apply to ddpm and cddpm only, not {args.model}.")
    return sampler_config(given, "nfe" if args.nfe is not None else "ddim-steps")


def eval_guidance(args: argparse.Namespace) -> float:
    """The cddpm's guidance weight for ``eval`` (the default where not given), checked."""
    from explorer.core.conditional.guidance import GUIDANCE, check_guidance

    if args.guidance is None:
        return GUIDANCE
    if args.model not in ("cddpm", "all"):
        raise ExplorerError(f"--guidance applies to cddpm only, not {args.model}.")
    return option_checked(check_guidance, args.guidance)
