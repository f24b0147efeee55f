"""A gated PixelCNN on binarised MNIST (van den Oord et al. 2016): config, net, exact likelihood.

The model factorises a digit's probability in raster order,

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1}),   each factor a Bernoulli,

so its negative log-likelihood -log p(x) = sum_i -log p(x_i | x_<i) is exact, in nats,
not a bound like the VAE's ELBO. One pass of the net gives all 784 conditionals at once
(the masks guarantee pixel i's logit sees only pixels before it), so training and scoring
are parallel; only sampling is sequential, 784 passes for one digit.

Pixels are binarised as the VAE's are (x ~ Bernoulli(grey level), test set with seed 0), so
the two models' figures in nats compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.pixelcnn.layers import GatedBlock
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.limits import SEED_MAX, TRAIN_IMAGES, ConfigError, bounded, one_of, validate

SIDE = 28
PIXELS = SIDE * SIDE


@dataclass(frozen=True)
class PixelCNNConfig:
    """Architecture and training settings; the defaults train the shipped model."""

    channels: int = bounded(48, 4, 256)  # C: feature maps in each stack
    layers: int = bounded(10, 1, 20)  # gated blocks; the first is type A, the rest type B
    kernel: int = bounded(3, 3, 9)  # k of the type-B blocks (odd); the type-A block is 7 wide as in the paper
    steps: int = bounded(4000, 1, 10_000_000)
    batch_size: int = bounded(64, 1, 2048)
    lr: float = bounded(1e-3, 0.0, 10.0, low_open=True)
    precision: str = one_of("bf16", ("bf16", "fp32"))  # bf16 autocast: faster on an AVX-512-BF16 CPU, same NLL
    init_from: str = ""  # continue from this checkpoint's weights (same architecture); "" starts afresh
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)
        if self.kernel % 2 == 0:
            raise ConfigError("kernel", "must be an odd integer from 3 to 9", self.kernel)


FIRST_KERNEL = 7  # the type-A layer's width, as in the paper


class PixelCNN(nn.Module):
    """Gated blocks over a vertical and a horizontal stack, then a 1x1 head to one logit per pixel."""

    def __init__(self, channels: int = 48, layers: int = 10, kernel: int = 3) -> None:
        super().__init__()
        self.kernels = [FIRST_KERNEL] + [kernel] * (layers - 1)
        self.blocks = nn.ModuleList(
            GatedBlock(1 if i == 0 else channels, channels, k, "A" if i == 0 else "B")
            for i, k in enumerate(self.kernels)
        )
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 1), nn.ReLU(), nn.Conv2d(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) pixels in {0, 1} -> (B, 1, H, W) logits of p(x_i = 1 | x_<i)."""
        v = h = 2 * x - 1  # centred, so the zero padding beyond the edges reads as "unknown", not "white"
        for block in self.blocks:
            v, h = block(v, h)
        return self.head(h)


def pixel_nll(model: PixelCNN, x: torch.Tensor) -> torch.Tensor:
    """-log p(x_i | x_<i) for every pixel, in nats: (B, 1, 28, 28) binary -> (B, 1, 28, 28)."""
    return F.binary_cross_entropy_with_logits(model(x), x, reduction="none")


def nll(model: PixelCNN, x: torch.Tensor) -> torch.Tensor:
    """-log p(x) = sum_i -log p(x_i | x_<i), one exact figure per image (B,), in nats."""
    return pixel_nll(model, x).flatten(1).sum(dim=1)


@torch.no_grad()
def evaluate(model: PixelCNN, x: torch.Tensor, batch_size: int = 500) -> dict[str, float]:
    """Mean exact NLL (nats per image) and bits per pixel over binarised images ``x`` (N, 1, 28, 28)."""
    total = 0.0
    for start in range(0, len(x), batch_size):
        total += nll(model, x[start : start + batch_size]).sum().item()
    mean = total / len(x)
    return {"nll": mean, "bits_per_pixel": mean / PIXELS / 0.6931471805599453}


def build_pixelcnn(cfg: PixelCNNConfig) -> PixelCNN:
    return PixelCNN(cfg.channels, cfg.layers, cfg.kernel)


def pixelcnn_from_checkpoint(ckpt: Checkpoint) -> tuple[PixelCNN, PixelCNNConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(PixelCNNConfig, ckpt.config)
    model = load_weights(build_pixelcnn(cfg), ckpt)
    return model.eval(), cfg
