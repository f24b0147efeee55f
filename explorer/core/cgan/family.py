"""The conditional GAN as the command line, the panels and the evaluation see it: train (writing the run so far
every N steps, if asked), rebuild, sample the digit asked for, and start from the GAN or continue an earlier run
(``init_from``)."""

from explorer.core.cgan.model import cgan_from_checkpoint, sample_cgan
from explorer.core.cgan.nets import CGANConfig
from explorer.core.cgan.training import earlier_cgan, train_cgan
from explorer.core.families import ModelFamily

FAMILY = ModelFamily(
    name="cgan",
    title="conditional GAN",
    config=CGANConfig,
    train=train_cgan,
    from_checkpoint=cgan_from_checkpoint,
    sample_images=sample_cgan,
    options=frozenset({"digit"}),
    earlier_run=earlier_cgan,
    saves_every=True,
)
