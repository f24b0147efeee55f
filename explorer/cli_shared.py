"""What the two command-line modules share: the checks of options (each failure one line that names
the option) and the progress bar a headless run shows. ``cli`` and ``evaluation_cli`` both import it,
so neither imports the other's helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning

if TYPE_CHECKING:  # imported where used, so that `--help` starts without torch
    from explorer.core.diffusion.sampler import SamplerConfig

Y = TypeVar("Y")
R = TypeVar("R")
V = TypeVar("V")

DIFFUSION = ("ddpm", "cddpm")  # the models drawn by a reverse chain, which take a sampler


class ProgressBar(Protocol):
    """What ``run_with_bar`` needs of a progress bar (tqdm's, or a test's)."""

    def close(self) -> None: ...


def run_with_bar(job: Generator[Y, None, R], bar: ProgressBar,
                 show: Callable[[Y], None]) -> tuple[Literal[True], R] | tuple[Literal[False], None]:
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


def sampler_config(given: dict[str, Any]) -> SamplerConfig:
    """A SamplerConfig from the options given; its limits' message names the option."""
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.runtime.limits import ConfigError

    try:
        return SamplerConfig(**given)
    except ConfigError as exc:
        raise ExplorerError(exc.for_option({"steps": "ddim-steps"})) from exc


def check_ddim_steps(sampler: SamplerConfig, T: int, model: str = "this model") -> None:
    """Refuse a DDIM chain of more steps K than the model has timesteps T (asked for, not the default)."""
    if sampler.sampler == "ddim" and sampler.steps > T:
        raise ExplorerError(f"--ddim-steps must be at most {model}'s T = {T}, not {sampler.steps}.")
