"""Using a trained conditional G: rebuild it from a checkpoint, draw the digits asked for, the style × digit grid
(each row one z, each column one digit: what z keeps when y changes is the style), and how surely it draws the
digit asked (the game's meter)."""

from __future__ import annotations

import numpy as np
import torch

from explorer.core.cgan.nets import CGANConfig, ConditionalGenerator, build_conditional_networks
from explorer.core.conditional.labels import DIGITS, class_labels
from explorer.core.evaluation.classifier import load_classifier, probabilities
from explorer.core.gan.game import images_from_noise, style_digit_labels
from explorer.core.gan.nets import _pair
from explorer.core.gan.session import meter_labels, meter_noise, read_as_asked
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.errors import ExplorerError


def cgan_from_checkpoint(ckpt: Checkpoint) -> tuple[ConditionalGenerator, CGANConfig]:
    """Rebuild the generator a checkpoint describes (its discriminator checked too), on the CPU, in eval mode."""
    cfg = config_from_dict(CGANConfig, ckpt.config)
    generator, discriminator = build_conditional_networks(cfg)
    load_weights(_pair(generator, discriminator), ckpt)
    return generator.eval(), cfg


def sample_cgan(generator: ConditionalGenerator, n: int, seed: int = 0, digit: int | None = None) -> np.ndarray:
    """n digits G(z, y) from z ~ N(0, I), y = ``digit`` (None: 0, 1, ..., 9 in turn): (n, 28, 28) float32 in [0, 1]."""
    labels = class_labels(n, digit)  # checks the digit before anything is drawn
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    return images_from_noise(generator, z, labels)


def style_digit_grid(generator: ConditionalGenerator, rows: int, seed: int = 0) -> np.ndarray:
    """``rows`` fixed z, each drawn as every digit: (rows, 10, 28, 28) float32 in [0, 1]."""
    z = torch.randn(rows, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    images = images_from_noise(generator, z.repeat_interleave(DIGITS, 0), style_digit_labels(rows))
    return images.reshape(rows, DIGITS, 28, 28)


def asked_digits_read(generator: ConditionalGenerator, cfg: CGANConfig) -> np.ndarray | None:
    """The meter a conditional game shows, read for a loaded G: on the game's CLASS_SAMPLES fixed z, each asked
    as 0, 1, ..., 9 in turn, the share of each digit the classifier reads as asked, (10,); None without a
    classifier checkpoint."""
    try:
        classifier, _ = load_classifier()
    except ExplorerError:
        return None
    asked = meter_labels()
    probs = probabilities(classifier, images_from_noise(generator, meter_noise(cfg), asked))
    return read_as_asked(probs, asked.numpy())
