"""The GAN as the command line, the panels and the evaluation see it: train, rebuild, sample, and continue
an earlier game (``init_from``)."""

from explorer.core.families import ModelFamily
from explorer.core.gan.game import earlier_game
from explorer.core.gan.model import gan_from_checkpoint, sample_images
from explorer.core.gan.nets import GANConfig
from explorer.core.gan.session import train_gan

FAMILY = ModelFamily(
    name="gan",
    title="GAN",
    config=GANConfig,
    train=train_gan,
    from_checkpoint=gan_from_checkpoint,
    sample_images=sample_images,
    earlier_run=earlier_game,
    saves_every=True,
)
