"""What the command-line modules share: options several commands take, the checks of options (each failure
one line that names the option) and the progress bar a headless run shows. ``cli``, ``train_cli``,
``sample_cli``, ``evaluation_cli`` and the plane's modules import it, so none imports another's helpers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict, TypeVar

from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning

if TYPE_CHECKING:  # imported where used, so that `--help` starts without torch
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.families import ModelFamily

Y = TypeVar("Y")
R = TypeVar("R")
V = TypeVar("V")

SAMPLER_CHOICES = ("ddpm", "ddim", "heun", "dpm++2m")  # the core's SAMPLERS, without importing torch
SAMPLER_HELP = (
    "ddpm (all T ancestral steps), ddim (Song et al.), heun (Karras et al.'s 2nd-order ODE solver) "
    "or dpm++2m (DPM-Solver++(2M), Lu et al.)"
)
NFE_HELP = (
    "ddim and dpm++2m take K steps, 1 to T; heun K // 2 + 1 steps (2 evaluations each, the last 1), "
    "K up to 2T - 1; ddpm always T"
)
MAX_THREADS = 256


def titles(families: Iterable[ModelFamily], sep: str = ", ") -> str:
    """The families as options' help and messages name them, by their titles: 'DDPM, class-conditional DDPM'
    (``sep`` ' and ': 'DDPM and class-conditional DDPM')."""
    return sep.join(family.title for family in families)


def whole_number(option: str, low: int, high: int, unit: str = "") -> Callable[[str], int]:
    """An argparse type: '4' -> 4 for ``option``, a whole number of ``unit`` from ``low`` to ``high``, else
    argparse's one line saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{option} takes a whole number{f' of {unit}' if unit else ''}, not {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{option} must be from {low} to {high}{f' {unit}' if unit else ''}, not {value}"
            )
        return value

    return parse


thread_count = whole_number("--threads", 1, MAX_THREADS)  # CPU threads for torch


def add_device(parser: argparse.ArgumentParser, what: str) -> None:
    """--device and --threads of a headless command (``what`` it does there: train, draw, ...)."""
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


class StepSnapshot(Protocol):
    """What ``train_with_bar`` reads of a training snapshot."""

    @property
    def step(self) -> int: ...

    def summary(self) -> str: ...


S = TypeVar("S", bound=StepSnapshot)


class ProgressBar(Protocol):
    """What ``run_with_bar`` needs of a progress bar (tqdm's, or a test's)."""

    def close(self) -> None: ...


def run_with_bar(
    job: Generator[Y, None, R], bar: ProgressBar, show: Callable[[Y], None]
) -> tuple[Literal[True], R] | tuple[Literal[False], None]:
    """Step ``job`` to its end, showing each item it yields on the progress ``bar``; Ctrl-C
    closes the job. Returns whether it finished, and its result."""
    returning = Returning(job)
    try:
        for item in returning:
            show(item)
        return True, returning.value
    except KeyboardInterrupt:
        job.close()
        return False, None
    finally:
        bar.close()


def check_seed(seed: int) -> None:
    from explorer.core.runtime.limits import SEED_MAX

    if not 0 <= seed <= SEED_MAX:
        raise ExplorerError(f"--seed must be an integer from 0 to {SEED_MAX}, not {seed}.")


def option_checked(check: Callable[[V], object], value: V) -> V:
    """``value`` if ``check`` passes it; else its ConfigError as one line that names the option."""
    from explorer.core.runtime.limits import ConfigError

    try:
        check(value)
    except ConfigError as exc:
        raise ExplorerError(exc.for_option()) from exc
    return value


class SamplerFields(TypedDict, total=False):
    """The SamplerConfig fields the options set (the others keep their defaults)."""

    sampler: str
    steps: int
    eta: float


def sampler_config(given: SamplerFields, steps_option: str = "nfe") -> SamplerConfig:
    """A SamplerConfig from the options given; its limits' message names the option (``steps_option``:
    the one that set K)."""
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.runtime.limits import ConfigError

    try:
        return SamplerConfig(**given)
    except ConfigError as exc:
        raise ExplorerError(exc.for_option({"steps": steps_option})) from exc


def sampler_given(sampler: str | None, nfe: int | None, ddim_steps: int | None, eta: float | None) -> SamplerFields:
    """The SamplerConfig fields the options set: --nfe and --ddim-steps both set K (DDIM's steps are its
    network evaluations), --eta is DDIM's alone."""
    if ddim_steps is not None and sampler not in (None, "ddim"):
        raise ExplorerError(f"--ddim-steps counts DDIM's steps; give {sampler} its cost with --nfe.")
    if ddim_steps is not None and nfe is not None and ddim_steps != nfe:
        raise ExplorerError(f"--nfe {nfe} and --ddim-steps {ddim_steps} disagree: DDIM's K steps are K evaluations.")
    if eta is not None and sampler in ("heun", "dpm++2m"):
        raise ExplorerError(f"--eta is DDIM's noise; {sampler} solves the probability-flow ODE, without noise.")
    given = SamplerFields()
    if sampler is not None:
        given["sampler"] = sampler
    steps = nfe if nfe is not None else ddim_steps
    if steps is not None:
        given["steps"] = steps
    if eta is not None:
        given["eta"] = eta
    return given


def check_nfe(
    sampler: SamplerConfig, T: int, asked: int | None, option: str = "--nfe", model: str = "this model"
) -> None:
    """Refuse an asked cost (--nfe / --ddim-steps) that a model with T timesteps cannot spend exactly."""
    if asked is None or sampler.nfe(T) == asked:
        return
    if sampler.sampler == "ddpm":
        raise ExplorerError(
            f"ddpm walks all T = {T} steps of {model} (--nfe {T}); for fewer, use ddim, heun or dpm++2m."
        )
    most = 2 * T - 1 if sampler.sampler == "heun" else T
    name = option if option == "--ddim-steps" else f"{option} for {sampler.sampler}"
    raise ExplorerError(f"{name} must be at most {most} for {model}'s T = {T}, not {asked}.")


def train_with_bar(job: Generator[S, None, R], steps: int) -> R:
    """Run a training generator to its end under a progress bar of ``steps`` steps and return its result;
    Ctrl-C closes the job and reaches ``main`` as the stop it is."""
    from tqdm import tqdm

    bar = tqdm(total=steps, unit="step", dynamic_ncols=True)

    def show(snap: S) -> None:
        bar.n = snap.step
        bar.set_postfix_str(snap.summary(), refresh=False)
        bar.refresh()

    outcome = run_with_bar(job, bar, show)
    if not outcome[0]:
        raise KeyboardInterrupt
    return outcome[1]
