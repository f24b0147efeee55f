"""The DDPM as the command line, the panels and the evaluation see it: train, rebuild, sample with a sampler
(DDPM, DDIM, Heun, DPM-Solver++(2M)) whose cost its T bounds, and continue an earlier run (``init_from``)."""

from explorer.core.diffusion.model import DDPMConfig, ddpm_from_checkpoint, sample_images
from explorer.core.diffusion.training import earlier_run, train_ddpm
from explorer.core.families import ModelFamily


def timesteps(cfg: DDPMConfig) -> int:
    return cfg.timesteps


FAMILY = ModelFamily(
    name="ddpm",
    title="DDPM",
    config=DDPMConfig,
    train=train_ddpm,
    from_checkpoint=ddpm_from_checkpoint,
    sample_images=sample_images,
    options=frozenset({"sampler"}),
    chunk=32,  # a DDIM chain costs some 100 VAE or GAN passes: smaller chunks keep progress and memory even
    timesteps=timesteps,
    earlier_run=earlier_run,
    saves_every=True,
)
