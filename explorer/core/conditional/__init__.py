"""Conditional generative models: told which digit to draw.

The conditional VAE (Sohn et al. 2015): config, nets and ELBO (cvae.py), its style plane
(cvae_latent.py), training (cvae_training.py). The class-conditional DDPM with classifier-free
guidance (Ho & Salimans 2022): the labels and the null class (labels.py), the U-Net with a class
embedding (cunet.py), the model (cddpm.py), the guided chain (guidance.py), training with label
dropout (cddpm_training.py), the guidance sweep (sweep.py) and the panel's jobs (jobs.py).
"""

from explorer.core.conditional.cddpm import (
    CDDPMConfig,
    ConditionalDDPM,
    build_cddpm,
    cddpm_from_checkpoint,
    sample_cddpm,
)
from explorer.core.conditional.cddpm_training import (
    CDDPMSnapshot,
    conditional_epsilon_loss,
    drop_labels,
    initial_checkpoint,
    train_cddpm,
)
from explorer.core.conditional.cunet import ClassConditionalUNet, load_unconditional_weights
from explorer.core.conditional.cvae import CVAE, CVAEConfig, cvae_from_checkpoint, elbo_metrics, elbo_terms
from explorer.core.conditional.cvae_latent import (
    all_digits,
    decode_digits,
    encode_images,
    restyle,
    sample_cvae,
    style_grid,
)
from explorer.core.conditional.cvae_training import train_cvae
from explorer.core.conditional.guidance import (
    GUIDANCE,
    MAX_GUIDANCE,
    GuidedFrame,
    check_guidance,
    guided_chain,
    guided_epsilon,
    paired_epsilon,
)
from explorer.core.conditional.labels import DIGITS, NULL_CLASS, check_digit, class_labels, one_hot
from explorer.core.conditional.sweep import SWEEP, SweepPoint, SweepProgress, SweepResult, guidance_sweep

__all__ = [
    "CVAE",
    "DIGITS",
    "GUIDANCE",
    "MAX_GUIDANCE",
    "NULL_CLASS",
    "SWEEP",
    "CDDPMConfig",
    "CDDPMSnapshot",
    "CVAEConfig",
    "ClassConditionalUNet",
    "ConditionalDDPM",
    "GuidedFrame",
    "SweepPoint",
    "SweepProgress",
    "SweepResult",
    "all_digits",
    "build_cddpm",
    "cddpm_from_checkpoint",
    "check_digit",
    "check_guidance",
    "class_labels",
    "conditional_epsilon_loss",
    "cvae_from_checkpoint",
    "decode_digits",
    "drop_labels",
    "elbo_metrics",
    "elbo_terms",
    "encode_images",
    "guidance_sweep",
    "guided_chain",
    "guided_epsilon",
    "initial_checkpoint",
    "load_unconditional_weights",
    "one_hot",
    "paired_epsilon",
    "restyle",
    "sample_cddpm",
    "sample_cvae",
    "style_grid",
    "train_cddpm",
    "train_cvae",
]
