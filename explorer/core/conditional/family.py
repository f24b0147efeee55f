"""The conditional models as the command line, the panels and the evaluation see them: each told which digit
to draw. The cVAE; the cDDPM, which also takes a sampler and the guidance weight w, and continues an earlier
run or starts from an unconditional DDPM (``init_from``)."""

from explorer.core.conditional.cddpm import CDDPMConfig, cddpm_from_checkpoint, sample_cddpm
from explorer.core.conditional.cddpm_training import initial_checkpoint, train_cddpm
from explorer.core.conditional.cvae import CVAEConfig, cvae_from_checkpoint
from explorer.core.conditional.cvae_latent import sample_cvae
from explorer.core.conditional.cvae_training import train_cvae
from explorer.core.families import ModelFamily


def timesteps(cfg: CDDPMConfig) -> int:
    return cfg.timesteps


CVAE = ModelFamily(
    name="cvae",
    title="conditional VAE",
    config=CVAEConfig,
    train=train_cvae,
    from_checkpoint=cvae_from_checkpoint,
    sample_images=sample_cvae,
    options=frozenset({"digit"}),
)
CDDPM = ModelFamily(
    name="cddpm",
    title="class-conditional DDPM",
    config=CDDPMConfig,
    train=train_cddpm,
    from_checkpoint=cddpm_from_checkpoint,
    sample_images=sample_cddpm,
    options=frozenset({"digit", "guidance", "sampler"}),
    chunk=30,  # guidance runs 2 x 30 images through the U-Net per step; 30 keeps "all digits in turn" balanced
    timesteps=timesteps,
    earlier_run=initial_checkpoint,
    saves_every=True,
)
