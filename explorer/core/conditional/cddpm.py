"""The class-conditional DDPM: its validated config, the conditional U-Net with its schedule, drawing digits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.conditional.cunet import ClassConditionalUNet
from explorer.core.conditional.guidance import GUIDANCE, SAMPLER, guided_chain
from explorer.core.diffusion.model import DDPMConfig
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.diffusion.schedule import NoiseSchedule, make_schedule
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import bounded

# What a run continued from must share
ARCHITECTURE = ("schedule", "timesteps", "base_channels", "widened_from", "depth", "attention")


@dataclass(frozen=True)
class CDDPMConfig(DDPMConfig):
    """The DDPM's settings (explorer/core/diffusion/model.py; ``init_from`` may also name a ddpm checkpoint,
    whose U-Net is taken with the class embedding at zero) and the label dropout of classifier-free guidance."""

    p_uncond: float = bounded(0.1, 0.0, 1.0)  # share of training labels replaced by ∅ (Ho & Salimans: 0.1 or 0.2)
    # The class embedding's learning rate over the rest's. Started from the DDPM, every other weight already knows
    # its job while the embedding starts at zero; with Adam a step moves a weight by about its learning rate, so a
    # faster rate there lets the labels take hold within a short run (the conditional GAN's label_lr_scale too).
    label_lr_scale: float = bounded(10.0, 1.0, 100.0)


class ConditionalDDPM(nn.Module):
    """The class-conditional noise-predicting U-Net together with the schedule it was trained on."""

    def __init__(self, unet: ClassConditionalUNet, schedule: NoiseSchedule) -> None:
        super().__init__()
        self.unet = unet
        self.schedule = schedule

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.unet(x_t, t, labels)

    def sample(
        self,
        n: int,
        seed: int = 0,
        digit: int | np.ndarray | None = None,
        guidance: float = GUIDANCE,
        sampler: SamplerConfig = SAMPLER,
    ) -> np.ndarray:
        """n digits ``digit`` (None: 0..9 in turn; or (n,) labels, 10 = ∅) drawn with guidance w,
        (n, 28, 28) float32 in [0, 1]."""
        return run_to_end(guided_chain(self, self.schedule, n, digit, guidance, sampler, seed=seed))


def build_cddpm(cfg: CDDPMConfig) -> ConditionalDDPM:
    """A freshly initialised model for ``cfg`` (seed torch first for a reproducible start); class embedding zero."""
    unet = ClassConditionalUNet(cfg.base_channels, cfg.depth, cfg.attention, cfg.widened_from)
    return ConditionalDDPM(unet, make_schedule(cfg.schedule, cfg.timesteps))


def cddpm_from_checkpoint(ckpt: Checkpoint) -> tuple[ConditionalDDPM, CDDPMConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(CDDPMConfig, ckpt.config)
    model = build_cddpm(cfg)
    load_weights(model.unet, ckpt)
    return model.eval(), cfg


def sample_cddpm(
    model: ConditionalDDPM,
    n: int,
    seed: int = 0,
    digit: int | None = None,
    guidance: float = GUIDANCE,
    sampler: SamplerConfig = SAMPLER,
) -> np.ndarray:
    """n digits from seeded noise, guided towards ``digit`` with weight w: (n, 28, 28) float32 in [0, 1]."""
    return model.sample(n, seed, digit, guidance, sampler)
