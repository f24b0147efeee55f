"""The DDPM itself: its validated config, the U-Net with the schedule it was trained on, and drawing digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.diffusion.sampler import SamplerConfig, sample_chain
from explorer.core.diffusion.schedule import NoiseSchedule, make_schedule
from explorer.core.diffusion.unet import ATTENTION, GROUPS, UNet
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import SEED_MAX, TRAIN_IMAGES, ConfigError, bounded, one_of, validate
from explorer.core.runtime.training import PRECISIONS


@dataclass(frozen=True)
class DDPMConfig:
    """Architecture, schedule and training settings; the defaults train the shipped model."""

    schedule: str = one_of("linear", ("linear", "cosine"))
    timesteps: int = bounded(1000, 10, 4000)  # T
    # U-Net channels at 14x14 (2x at 7x7), in GroupNorm groups of an eighth of the width the net was first built at
    base_channels: int = bounded(32, 8, 256, note=f"a multiple of {GROUPS} (of W / {GROUPS} with --widened-from W)")
    # The base width of the net this one was widened from (explorer/core/diffusion/unet.py: widen); 0 if none
    widened_from: int = bounded(0, 8, 248, multiple_of=GROUPS, zero_means="none")
    depth: int = bounded(1, 1, 4)  # residual blocks per resolution
    attention: str = one_of("none", ATTENTION)  # self-attention among the 7x7 positions of the U-Net's middle
    steps: int = bounded(20000, 1, 10_000_000)
    batch_size: int = bounded(128, 1, 2048)
    lr: float = bounded(2e-4, 0.0, 10.0, low_open=True)
    ema: float = bounded(0.999, 0.5, 0.99999, zero_means="none")  # decay of the weight average sampled and saved
    # Steps over which the learning rate rises linearly to lr (Ho et al.'s code warms up too). Adam's first
    # steps move every weight by about lr, whatever its gradient: a shock to a trained net's test loss
    # (docs/measurements.md) that a continued run (--init-from) then spends steps undoing.
    warmup: int = bounded(200, 0, 1_000_000)
    # bf16 autocast in training (explorer/core/runtime/training.py): more steps per second on an
    # AVX-512-BF16 CPU or a GPU. fp32 by default, which every CPU runs at full speed; sampling is always fp32.
    precision: str = one_of("fp32", PRECISIONS)
    init_from: str = ""  # continue from this checkpoint's weights (same architecture); "" starts afresh
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)
        if self.widened_from and self.base_channels <= self.widened_from:
            raise ConfigError("base_channels", f"must be above widened_from ({self.widened_from})", self.base_channels)
        unit = self.widened_from // GROUPS if self.widened_from else GROUPS
        if self.base_channels % unit:
            why = (
                f"{unit}, the GroupNorm group size of the {self.widened_from}-channel net it widens"
                if self.widened_from
                else f"{GROUPS} (GroupNorm's {GROUPS} groups)"
            )
            raise ConfigError("base_channels", f"must be a multiple of {why}", self.base_channels)


class DDPM(nn.Module):
    """The noise-predicting U-Net together with the schedule it was trained on."""

    def __init__(self, unet: UNet, schedule: NoiseSchedule) -> None:
        super().__init__()
        self.unet = unet
        self.schedule = schedule

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.unet(x_t, t)

    def sample(self, n: int, seed: int = 0, sampler: SamplerConfig = SamplerConfig()) -> np.ndarray:
        """n generated digits, (n, 28, 28) float32 in [0, 1]."""
        return run_to_end(sample_chain(self, self.schedule, n, sampler, seed=seed))


def build_ddpm(cfg: DDPMConfig) -> DDPM:
    """A freshly initialised model for ``cfg`` (seed torch first for a reproducible start)."""
    unet = UNet(cfg.base_channels, cfg.depth, cfg.attention, cfg.widened_from)
    return DDPM(unet, make_schedule(cfg.schedule, cfg.timesteps))


def ddpm_from_checkpoint(ckpt: Checkpoint) -> tuple[DDPM, DDPMConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(DDPMConfig, ckpt.config)
    model = build_ddpm(cfg)
    load_weights(model.unet, ckpt)
    return model.eval(), cfg


def sample_images(model: DDPM, n: int, seed: int = 0, sampler: SamplerConfig = SamplerConfig()) -> np.ndarray:
    """n digits from seeded noise, walked back as ``sampler`` says: (n, 28, 28) float32 in [0, 1]."""
    return model.sample(n, seed, sampler)
