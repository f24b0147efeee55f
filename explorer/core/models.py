"""The model families the app knows, with one entry point each for train, load and sample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core import diffusion, gan, vae
from explorer.core.checkpoints import Checkpoint, load_checkpoint
from explorer.core.paths import CHECKPOINTS


@dataclass(frozen=True)
class ModelFamily:
    """How to train, rebuild and sample one kind of model."""

    name: str
    config: type
    train: Callable[..., Any]  # (config, device) -> Generator[snapshot, None, Checkpoint]
    from_checkpoint: Callable[[Checkpoint], tuple[Any, Any]]  # -> (model, config)
    sample: Callable[..., np.ndarray]  # (model, n, seed, **options) -> (n, 28, 28) in [0, 1]

    @property
    def default_checkpoint(self) -> Path:
        return CHECKPOINTS / f"{self.name}.safetensors"

    def load(self, path: str | Path | None = None) -> tuple[Any, Any, Checkpoint]:
        """Load and validate a checkpoint (the shipped one by default): (model, config, checkpoint)."""
        ckpt = load_checkpoint(path or self.default_checkpoint, kind=self.name)
        model, cfg = self.from_checkpoint(ckpt)
        return model, cfg, ckpt


FAMILIES: dict[str, ModelFamily] = {
    "vae": ModelFamily("vae", vae.VAEConfig, vae.train_vae, vae.vae_from_checkpoint, vae.sample_images),
    "ddpm": ModelFamily(
        "ddpm", diffusion.DDPMConfig, diffusion.train_ddpm, diffusion.ddpm_from_checkpoint, diffusion.sample_images
    ),
    "gan": ModelFamily("gan", gan.GANConfig, gan.train_gan, gan.gan_from_checkpoint, gan.sample_images),
}
