"""The GAN panel: watch a generator G and a discriminator D play their game, move by move."""

from explorer.ui.panels.gan.panel import GANPanel

__all__ = ["GANPanel"]
