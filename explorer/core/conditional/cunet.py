"""The diffusion U-Net told a class: eps_theta(x_t, t, y), with a learnt embedding of y added to the
time embedding every residual block receives (as in Ho & Salimans 2022 and Dhariwal & Nichol 2021).

The embedding has a row for each digit and one for the null class ∅, and starts at zero: the
conditional U-Net then computes exactly what the unconditional U-Net with the same weights does,
for any label, so it can be fine-tuned from the shipped unconditional DDPM.
"""

from __future__ import annotations

import torch
from torch import nn

from explorer.core.conditional.labels import DIGITS
from explorer.core.diffusion.unet import UNet
from explorer.core.runtime.checkpoints import Checkpoint, load_weights

CLASS_EMBEDDING = "class_embedding.weight"  # the one weight the unconditional U-Net lacks


class ClassConditionalUNet(UNet):
    """eps_theta: (B, 1, 28, 28) noisy images, (B,) timesteps and (B,) labels 0..10 (10 = ∅) -> (B, 1, 28, 28)."""

    def __init__(self, base_channels: int = 32, depth: int = 1, attention: str = "none", widened_from: int = 0) -> None:
        super().__init__(base_channels, depth, attention, widened_from)
        self.class_embedding = nn.Embedding(DIGITS + 1, 4 * base_channels)  # (11, 4c): ten digits and ∅
        nn.init.zeros_(self.class_embedding.weight)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # The conditional net takes the labels too: it is a UNet in its layers, not in its call.
        return self.denoise(x, self.time_embedding(t) + self.class_embedding(labels))  # (B, 4c) + (B, 4c)


def load_unconditional_weights(unet: ClassConditionalUNet, ckpt: Checkpoint) -> ClassConditionalUNet:
    """Load an unconditional DDPM's U-Net weights into ``unet`` and set the class embedding to zero,
    so that it predicts the same noise as the unconditional model for every label."""
    zeros = torch.zeros_like(unet.class_embedding.weight)
    return load_weights(unet, ckpt, given={CLASS_EMBEDDING: zeros})
