"""The diffusion family (DDPM, Ho et al. 2020; DDIM, Song et al. 2021): the forward process
(schedule.py), the reverse steps and chain with DDPM, DDIM, Heun and DPM-Solver++(2M) (sampler.py), the
U-Net (unet.py), the model and
its config (model.py), training (training.py), and the Diffusion panel's chain job, record
and export (chain_*.py)."""

from explorer.core.diffusion.model import DDPM, DDPMConfig, build_ddpm, ddpm_from_checkpoint, sample_images
from explorer.core.diffusion.sampler import (
    SAMPLE_ETA,
    SAMPLER_NAMES,
    SAMPLERS,
    ChainFrame,
    SamplerConfig,
    ddim_step,
    ddim_timesteps,
    ddpm_step,
    dpm_solver_2m_step,
    heun_step,
    predict_x0,
    sample_chain,
)
from explorer.core.diffusion.schedule import (
    NoiseSchedule,
    cosine_alphas_cumprod,
    cosine_betas,
    linear_betas,
    make_schedule,
    q_sample,
)
from explorer.core.diffusion.training import DDPMSnapshot, epsilon_loss, train_ddpm, training_runs

__all__ = [
    "DDPM",
    "SAMPLERS",
    "SAMPLER_NAMES",
    "SAMPLE_ETA",
    "ChainFrame",
    "DDPMConfig",
    "DDPMSnapshot",
    "NoiseSchedule",
    "SamplerConfig",
    "build_ddpm",
    "cosine_alphas_cumprod",
    "cosine_betas",
    "ddim_step",
    "ddim_timesteps",
    "ddpm_from_checkpoint",
    "ddpm_step",
    "dpm_solver_2m_step",
    "epsilon_loss",
    "heun_step",
    "linear_betas",
    "make_schedule",
    "predict_x0",
    "q_sample",
    "sample_chain",
    "sample_images",
    "train_ddpm",
    "training_runs",
]
