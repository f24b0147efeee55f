"""Using a trained generator: rebuild it (or its discriminator) from a checkpoint, draw digits, walk between two z."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from explorer.core.gan.game import images_from_noise
from explorer.core.gan.nets import DCGANGenerator, GANConfig, ToyGenerator, _pair, build_networks
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights


def gan_from_checkpoint(ckpt: Checkpoint) -> tuple[DCGANGenerator | ToyGenerator, GANConfig]:
    """Rebuild the generator a checkpoint describes (its discriminator checked too), on the CPU, in eval mode."""
    cfg = config_from_dict(GANConfig, ckpt.config)
    generator, discriminator = build_networks(cfg)
    load_weights(_pair(generator, discriminator), ckpt)
    return generator.eval(), cfg


def discriminator_from_checkpoint(ckpt: Checkpoint) -> nn.Module:
    """The discriminator saved beside a checkpoint's generator (the toy game draws its D(x)), on the CPU, in eval mode."""
    cfg = config_from_dict(GANConfig, ckpt.config)
    generator, discriminator = build_networks(cfg)
    load_weights(_pair(generator, discriminator), ckpt)
    return discriminator.eval()


def sample_images(generator: DCGANGenerator | ToyGenerator, n: int, seed: int = 0) -> np.ndarray:
    """n digits G(z) from z ~ N(0, I): (n, 28, 28) float32 in [0, 1]."""
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    return images_from_noise(generator, z)


def interpolate(generator: nn.Module, z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Digits along the straight line z = (1 - t) z0 + t z1, t from 0 to 1: (steps, 28, 28) in [0, 1]."""
    t = torch.linspace(0.0, 1.0, steps)[:, None]  # (steps, 1)
    a = torch.as_tensor(np.asarray(z0, dtype=np.float32))[None]  # (1, latent_dim)
    b = torch.as_tensor(np.asarray(z1, dtype=np.float32))[None]
    return images_from_noise(generator, (1 - t) * a + t * b)
