"""Training the class-conditional DDPM for classifier-free guidance, as a generator of snapshots.

Algorithm 1 of Ho et al. (2020) with the label beside the image, except that each label is
replaced by the null class ∅ with probability p_uncond (Ho & Salimans 2022, Algorithm 1): one
network learns eps(x_t, y) and eps(x_t, ∅) at once. A run may start from the unconditional
DDPM's weights with the class embedding at zero, where it begins as exactly that model.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from explorer.core.conditional.cddpm import ARCHITECTURE, CDDPMConfig, ConditionalDDPM, build_cddpm
from explorer.core.conditional.cunet import load_unconditional_weights
from explorer.core.conditional.guidance import GUIDANCE
from explorer.core.conditional.labels import DIGITS, NULL_CLASS
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.diffusion.schedule import NoiseSchedule
from explorer.core.diffusion.training import DDPMSnapshot, epsilon_loss, regress_noise
from explorer.core.kinds import a_kind
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, load_weights, require_same
from explorer.core.runtime.data import dataset_fingerprint, to_model_range
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.quoting import shown
from explorer.core.runtime.training import cpu_copy, training_images, training_labels, training_record

PREVIEW_DIGITS = np.tile(np.arange(DIGITS), 2)  # the preview grid: two rows of 0..9
PREVIEW = SamplerConfig(steps=25)  # drawn by DDIM-25 with the default guidance


def drop_labels(labels: torch.Tensor, p_uncond: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each label replaced by ∅ (NULL_CLASS) with probability ``p_uncond``, independently: the label dropout
    that teaches the unconditional eps(x_t, ∅) alongside the conditional one."""
    gen_device = generator.device if generator is not None else labels.device
    u = torch.rand(labels.shape, generator=generator, device=gen_device).to(labels.device)  # (B,) uniform [0, 1)
    return torch.where(u < p_uncond, torch.full_like(labels, NULL_CLASS), labels)


def conditional_epsilon_loss(
    model: nn.Module,
    schedule: NoiseSchedule,
    x0: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """||eps - eps_theta(x_t, t, y)||^2 (the DDPM's simple loss, its t and noise drawn the same way)."""
    return epsilon_loss(lambda x_t, t: model(x_t, t, labels), schedule, x0, generator)


CDDPMSnapshot = DDPMSnapshot  # the same views: the loss, and the preview (here PREVIEW_DIGITS, guided)


def initial_checkpoint(cfg: CDDPMConfig) -> Checkpoint | None:
    """The checkpoint ``cfg.init_from`` names, checked before any step: a cddpm to continue, or an
    unconditional ddpm to start from, with the same schedule and U-Net as ``cfg``. None if none is named."""
    if not cfg.init_from:
        return None
    ckpt = load_checkpoint(cfg.init_from)
    name = Path(cfg.init_from).name
    if ckpt.kind not in ("cddpm", "ddpm"):
        raise CheckpointError(f"{shown(name)} holds {a_kind(ckpt.kind)}, not {a_kind('cddpm')} or {a_kind('ddpm')}.")
    require_same(ckpt, cfg, ARCHITECTURE, cfg.init_from)
    return ckpt


def parameter_groups(unet: nn.Module, lr: float, label_lr_scale: float) -> list[dict[str, object]]:
    """The U-Net's weights at ``lr`` and its class embedding at ``label_lr_scale`` x ``lr``.

    Fine-tuned from the unconditional DDPM, everything but the embedding already knows its job,
    while the embedding starts at zero: a faster step there lets the labels take hold within a
    short CPU run without shaking the rest (with Adam, the step size is about the learning rate).
    """
    embedding = [p for name, p in unet.named_parameters() if name.startswith("class_embedding")]
    rest = [p for name, p in unet.named_parameters() if not name.startswith("class_embedding")]
    return [{"params": rest, "lr": lr}, {"params": embedding, "lr": lr * label_lr_scale}]


def train_cddpm(
    cfg: CDDPMConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 60.0,
    save_every: int = 0,
) -> Generator[CDDPMSnapshot, None, Checkpoint]:
    """Train a class-conditional DDPM with label dropout, yielding snapshots a few times a second; return
    the checkpoint.

    The loss is yielded at most every ``yield_every_s`` seconds, a guided DDIM preview of every
    digit from fixed noise at most every ``samples_every_s`` seconds and at the end. With ``save_every``
    (steps; 0: never) a snapshot also carries the run so far as a checkpoint.
    """
    started = time.time()
    earlier = initial_checkpoint(cfg)
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    x_train = to_model_range(training_images(cfg.train_limit)).to(dev)  # (N, 1, 28, 28)
    y_train = torch.from_numpy(training_labels(cfg.train_limit)).to(dev)  # (N,)
    model = build_cddpm(cfg)
    if earlier and earlier.kind == "ddpm":
        load_unconditional_weights(model.unet, earlier)
    elif earlier:
        load_weights(model.unet, earlier)
    model = model.to(dev)

    def batch_loss(m: ConditionalDDPM, batch: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        # 1. Drop labels to ∅ with probability p_uncond (Ho & Salimans, Algorithm 1, line 3).
        labels = drop_labels(y_train[batch], cfg.p_uncond, g)
        # 2. Regress the noise given the (possibly dropped) label.
        return conditional_epsilon_loss(m, m.schedule, x_train[batch], labels, g)

    def checkpoint(ema: ConditionalDDPM, record: dict[str, Any]) -> Checkpoint:
        """The run's checkpoint from the EMA model and a record of ``regress_noise`` (the last or one so far)."""
        info = {**record, "dataset": dataset_fingerprint(), "training": training_record(dev, started)}
        if earlier:  # the run this one continued (a cddpm) or started from (a ddpm), with its own record
            info["continues"] = {
                "kind": earlier.kind,
                "file": Path(cfg.init_from).name,
                **{k: earlier.info.get(k) for k in ("steps", "training", "continues")},
            }
        return Checkpoint(kind="cddpm", config=asdict(cfg), state=cpu_copy(ema.unet.state_dict()), info=info)

    ema_model, record = yield from regress_noise(
        cfg,
        model,
        torch.optim.Adam(parameter_groups(model.unet, cfg.lr, cfg.label_lr_scale)),
        batch_loss,
        len(x_train),
        lambda m: m.sample(len(PREVIEW_DIGITS), cfg.seed, PREVIEW_DIGITS, GUIDANCE, PREVIEW),
        dev,
        yield_every_s,
        samples_every_s,
        save_every,
        checkpoint,
    )
    return checkpoint(ema_model, record)
