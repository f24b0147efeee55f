"""The GAN family (Goodfellow et al., 2014; DCGAN, Radford et al., 2016): config and nets
(nets.py), the players' losses (losses.py), one move of the game (game.py), training as a
session the panel steers (session.py), and a trained generator's use (model.py)."""

from explorer.core.gan.game import (
    HIST_BINS,
    SAMPLE_GRID,
    TOY_EXTENT,
    TOY_POINTS,
    GANState,
    StepResult,
    d_step,
    discriminator_heatmap,
    discriminator_outputs,
    g_step,
    generate,
    images_from_noise,
    init_gan,
)
from explorer.core.gan.losses import discriminator_loss, generator_loss, ring_of_gaussians
from explorer.core.gan.model import discriminator_from_checkpoint, gan_from_checkpoint, interpolate, sample_images
from explorer.core.gan.nets import (
    MODES,
    OBJECTIVES,
    TOY_DEFAULTS,
    DCGANDiscriminator,
    DCGANGenerator,
    GANConfig,
    ToyDiscriminator,
    ToyGenerator,
    build_networks,
    default_config,
)
from explorer.core.gan.session import CLASS_SAMPLES, GANSnapshot, drawn_classes, gan_session, train_gan

__all__ = [
    "CLASS_SAMPLES",
    "HIST_BINS",
    "MODES",
    "OBJECTIVES",
    "SAMPLE_GRID",
    "TOY_DEFAULTS",
    "TOY_EXTENT",
    "TOY_POINTS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GANConfig",
    "GANSnapshot",
    "GANState",
    "StepResult",
    "ToyDiscriminator",
    "ToyGenerator",
    "build_networks",
    "d_step",
    "default_config",
    "discriminator_from_checkpoint",
    "discriminator_heatmap",
    "discriminator_loss",
    "discriminator_outputs",
    "drawn_classes",
    "g_step",
    "gan_from_checkpoint",
    "gan_session",
    "generate",
    "generator_loss",
    "images_from_noise",
    "init_gan",
    "interpolate",
    "ring_of_gaussians",
    "sample_images",
    "train_gan",
]
