"""The model families the app knows, each described by its own package (``<family>/family.py``): how to train
it, rebuild it from a checkpoint, sample it (in chunks, with which options) and continue an earlier run.

The command line, the panels and the evaluation read these descriptors instead of naming families. The
table imports a family's code when the family is first looked up, so naming the families (the Evaluate
panel's rows, ``sample``'s choices) imports none of it, and a family's package can import ``ModelFamily``
from here without a cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

import numpy as np

from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.paths import CHECKPOINTS

if TYPE_CHECKING:  # the diffusion family's code, imported when that family is looked up
    from typing_extensions import Unpack

    from explorer.core.diffusion.sampler import SamplerConfig

MAX_SAMPLES = 10_000  # the most digits one `sample` draws: 31 MB as float32, a 100 x 100 grid as PNG


class SampleOptions(TypedDict, total=False):
    """What a family's sampler may be told beyond (n, seed); a family declares which it takes
    (``ModelFamily.options``), and one left out keeps the family's default."""

    sampler: SamplerConfig  # the reverse chain's solver and its cost (the diffusion families)
    digit: int | None  # the digit to draw, None: 0, 1, ..., 9 in turn (the conditional families)
    guidance: float  # classifier-free guidance weight w (the cDDPM)


class TrainingSnapshot(Protocol):
    """What every training loop's snapshot tells a progress bar."""

    @property
    def step(self) -> int: ...

    @property
    def total_steps(self) -> int: ...

    def summary(self) -> str: ...


# (config, device, **throttles) -> snapshots, then the trained checkpoint
Train = Callable[..., Generator[TrainingSnapshot, None, Checkpoint]]


@dataclass(frozen=True)
class ModelFamily:
    """How to train, rebuild and sample one kind of model."""

    name: str
    title: str  # how a sentence names it: "DDPM", "PixelCNN", "conditional VAE"
    config: type
    train: Train
    from_checkpoint: Callable[[Checkpoint], tuple[Any, Any]]  # -> (model, config)
    sample_images: Callable[..., np.ndarray]  # called with the SampleOptions in ``options`` alone
    options: frozenset[str] = frozenset()  # the SampleOptions ``sample_images`` takes
    chunk: int = 500  # digits drawn per call, so memory stays flat however many are asked for
    # A family drawn by a reverse chain (it takes a ``sampler``): the timesteps T of a config, which bound its cost.
    timesteps: Callable[[Any], int] | None = None
    # (config) -> the checkpoint its ``init_from`` names, loaded into a fresh net to check that it fits (one clear
    # error if not), so a bad file is refused before any step; None for a family whose runs cannot be continued.
    earlier_run: Callable[[Any], Checkpoint | None] | None = None
    saves_every: bool = False  # its training can write the run so far every N steps (``save_every=N``)

    def __post_init__(self) -> None:
        unknown = self.options - SampleOptions.__annotations__.keys()
        if unknown or ("sampler" in self.options) != (self.timesteps is not None):
            raise ValueError(f"{self.name}: options {sorted(self.options)} do not fit (a sampler needs timesteps)")

    @property
    def takes_sampler(self) -> bool:
        return "sampler" in self.options

    @property
    def conditional(self) -> bool:
        """Told which digit to draw: it takes ``digit`` (0..9, or None for all in turn)."""
        return "digit" in self.options

    @property
    def guided(self) -> bool:
        return "guidance" in self.options

    @property
    def default_checkpoint(self) -> Path:
        return CHECKPOINTS / f"{self.name}.safetensors"

    def load(self, path: str | Path | None = None) -> tuple[Any, Any, Checkpoint]:
        """Load and validate a checkpoint (the shipped one by default): (model, config, checkpoint)."""
        ckpt = load_checkpoint(path or self.default_checkpoint, kind=self.name)
        model, cfg = self.from_checkpoint(ckpt)
        return model, cfg, ckpt

    def sample(self, model: Any, n: int, seed: int, **options: Unpack[SampleOptions]) -> np.ndarray:
        """n digits in one call: (n, 28, 28) float32 in [0, 1]. An option the family does not take is a bug."""
        extra = options.keys() - self.options
        if extra:
            raise TypeError(f"the {self.name} family takes no {', '.join(sorted(extra))}")
        return self.sample_images(model, n, seed, **options)

    def draw(self, model: Any, n: int, seed: int, **options: Unpack[SampleOptions]) -> Generator[int, None, np.ndarray]:
        """n digits a chunk at a time (chunk i seeded from ``seed`` and i), on the model's device,
        yielding how many are drawn so far; returns (n, 28, 28) float32 in [0, 1]."""
        seeds = np.random.SeedSequence(seed).generate_state(-(-n // self.chunk))
        parts: list[np.ndarray] = []
        for i, start in enumerate(range(0, n, self.chunk)):
            parts.append(self.sample(model, min(self.chunk, n - start), int(seeds[i]), **options))
            yield start + len(parts[-1])
        return np.concatenate(parts)


def check_sample_count(n: int) -> None:
    """Refuse a number of digits to draw outside 1..MAX_SAMPLES before anything is allocated."""
    if not 1 <= n <= MAX_SAMPLES:
        raise ExplorerError(f"-n must be between 1 and {MAX_SAMPLES}, not {n}.")


class FamilyTable(Mapping[str, ModelFamily]):
    """The families by name, in a fixed order; each descriptor ("module:NAME") is imported on first look-up."""

    def __init__(self, where: dict[str, str]) -> None:
        self.where = where
        self._loaded: dict[str, ModelFamily] = {}

    def __getitem__(self, name: str) -> ModelFamily:
        if name not in self._loaded:
            module, _, attribute = self.where[name].partition(":")
            family = getattr(importlib.import_module(module), attribute)
            if not isinstance(family, ModelFamily) or family.name != name:
                raise TypeError(f"{self.where[name]} is not the {name} family's descriptor")
            self._loaded[name] = family
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self.where

    def __iter__(self) -> Iterator[str]:
        return iter(self.where)

    def __len__(self) -> int:
        return len(self.where)

    def modules(self) -> list[str]:
        """The descriptors' modules (a process that will train imports them ahead: the fork server)."""
        return [where.partition(":")[0] for where in self.where.values()]


FAMILIES = FamilyTable(
    {
        "vae": "explorer.core.vae.family:FAMILY",
        "ddpm": "explorer.core.diffusion.family:FAMILY",
        "gan": "explorer.core.gan.family:FAMILY",
        "pixelcnn": "explorer.core.pixelcnn.family:FAMILY",
        "cvae": "explorer.core.conditional.family:CVAE",
        "cddpm": "explorer.core.conditional.family:CDDPM",
        "cgan": "explorer.core.cgan.family:FAMILY",
    }
)
