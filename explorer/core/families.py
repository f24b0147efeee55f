"""The model families the app knows, with one entry point each for train, load and sample."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core import conditional, diffusion, gan, pixelcnn, vae
from explorer.core.conditional.cddpm_training import initial_checkpoint
from explorer.core.diffusion.training import earlier_run as ddpm_earlier_run
from explorer.core.gan.game import earlier_game
from explorer.core.pixelcnn.training import earlier_run as pixelcnn_earlier_run
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.paths import CHECKPOINTS

MAX_SAMPLES = 10_000  # the most digits one `sample` draws: 31 MB as float32, a 100 x 100 grid as PNG


@dataclass(frozen=True)
class ModelFamily:
    """How to train, rebuild and sample one kind of model."""

    name: str
    config: type
    train: Callable[..., Any]  # (config, device) -> Generator[snapshot, None, Checkpoint]
    from_checkpoint: Callable[[Checkpoint], tuple[Any, Any]]  # -> (model, config)
    sample: Callable[..., np.ndarray]  # (model, n, seed, **options) -> (n, 28, 28) in [0, 1]
    chunk: int = 500  # digits drawn per call, so memory stays flat however many are asked for
    conditional: bool = False  # told which digit to draw: sample takes ``digit`` (0..9, or None for all in turn)
    # (config) -> the checkpoint its ``init_from`` names, loaded into a fresh net to check that it fits (one clear
    # error if not), so a bad file is refused before any step; None for a family whose runs cannot be continued.
    earlier_run: Callable[[Any], Checkpoint | None] | None = None

    @property
    def default_checkpoint(self) -> Path:
        return CHECKPOINTS / f"{self.name}.safetensors"

    def load(self, path: str | Path | None = None) -> tuple[Any, Any, Checkpoint]:
        """Load and validate a checkpoint (the shipped one by default): (model, config, checkpoint)."""
        ckpt = load_checkpoint(path or self.default_checkpoint, kind=self.name)
        model, cfg = self.from_checkpoint(ckpt)
        return model, cfg, ckpt

    def draw(self, model: Any, n: int, seed: int, **options: Any) -> Generator[int, None, np.ndarray]:
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


FAMILIES: dict[str, ModelFamily] = {
    "vae": ModelFamily("vae", vae.VAEConfig, vae.train_vae, vae.vae_from_checkpoint, vae.sample_images),
    # A DDIM chain costs ~100 VAE or GAN passes: smaller chunks keep progress and memory even.
    "ddpm": ModelFamily(
        "ddpm",
        diffusion.DDPMConfig,
        diffusion.train_ddpm,
        diffusion.ddpm_from_checkpoint,
        diffusion.sample_images,
        32,
        earlier_run=ddpm_earlier_run,
    ),
    "gan": ModelFamily(
        "gan", gan.GANConfig, gan.train_gan, gan.gan_from_checkpoint, gan.sample_images, earlier_run=earlier_game
    ),
    # 784 cached steps per chunk: 100 digits take a few seconds on a CPU.
    "pixelcnn": ModelFamily(
        "pixelcnn",
        pixelcnn.PixelCNNConfig,
        pixelcnn.train_pixelcnn,
        pixelcnn.pixelcnn_from_checkpoint,
        pixelcnn.sample_images,
        100,
        earlier_run=pixelcnn_earlier_run,
    ),
    "cvae": ModelFamily(
        "cvae",
        conditional.CVAEConfig,
        conditional.train_cvae,
        conditional.cvae_from_checkpoint,
        conditional.sample_cvae,
        conditional=True,
    ),
    # Guidance runs 2 x 30 images through the U-Net per step; 30 keeps "all digits in turn" balanced per chunk.
    "cddpm": ModelFamily(
        "cddpm",
        conditional.CDDPMConfig,
        conditional.train_cddpm,
        conditional.cddpm_from_checkpoint,
        conditional.sample_cddpm,
        30,
        conditional=True,
        earlier_run=initial_checkpoint,
    ),
}
