"""The classifier that classifier guidance needs (Dhariwal & Nichol 2021, §4): p_φ(y | x_t, t), trained on
digits noised by the DDPM's own forward process at every t, so that its gradient ∇ₓ log p_φ(y | x_t) means
something on the noisy x_t a reverse chain walks through. The metrics' classifier (evaluation/classifier.py)
has only seen clean digits and would be guessing on x_t.

It reads x_t and t: a small conv net whose every block adds a projection of t's sinusoidal embedding (the
U-Net's own), down to 7×7, pooled, then 10 logits. Its accuracy falls with t, as it must: at t near T, x_t
holds almost no trace of the digit, and p_φ(y | x_t) is close to uniform (the record keeps accuracy by t).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.diffusion.schedule import make_schedule, q_sample
from explorer.core.diffusion.unet import group_norm, timestep_embedding
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_checkpoint, load_weights
from explorer.core.runtime.data import dataset_fingerprint, load_mnist, to_model_range
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.limits import SEED_MAX, TRAIN_IMAGES, bounded, one_of, validate
from explorer.core.runtime.paths import CHECKPOINTS
from explorer.core.runtime.training import Every, RunningMeans, cpu_copy, training_images, training_record

KIND = "noisy-classifier"
NOISY_CLASSIFIER_CHECKPOINT = CHECKPOINTS / "noisy_classifier.safetensors"
CLASSES = 10
ACCURACY_AT = (0, 100, 250, 500, 750, 900, 999)  # the 0-based steps the record reads test accuracy at


@dataclass(frozen=True)
class NoisyClassifierConfig:
    """Training settings; the defaults train the shipped classifier. The schedule must be the DDPM's."""

    channels: int = bounded(32, 8, 256)  # feature maps at 28×28 (twice as many at 14×14 and 7×7)
    schedule: str = one_of("linear", ("linear", "cosine"))
    timesteps: int = bounded(1000, 10, 4000)
    steps: int = bounded(5000, 1, 1_000_000)
    batch_size: int = bounded(128, 2, 4096)
    lr: float = bounded(2e-3, 0.0, 1.0, low_open=True)
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")

    def __post_init__(self) -> None:
        validate(self)


class TimedBlock(nn.Module):
    """conv → GroupNorm → + a projection of t's embedding → SiLU: the block reads how noisy its input is."""

    def __init__(self, c_in: int, c_out: int, t_dim: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1)
        self.norm = group_norm(c_out, 8)
        self.time = nn.Linear(t_dim, c_out)

    def forward(self, x: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        return F.silu(self.norm(self.conv(x)) + self.time(t_emb)[:, :, None, None])


class NoisyClassifier(nn.Module):
    """p_φ(y | x_t, t): x_t (B, 1, 28, 28) in the model range [-1, 1] with noise, t (B,) 0-based → (B, 10) logits."""

    def __init__(self, channels: int = 32) -> None:
        super().__init__()
        c, self.t_in, self.t_dim = channels, channels, 4 * channels
        self.t_mlp = nn.Sequential(nn.Linear(channels, self.t_dim), nn.SiLU(), nn.Linear(self.t_dim, self.t_dim))
        self.blocks = nn.ModuleList(
            [
                TimedBlock(1, c, self.t_dim, 1),  # 28×28
                TimedBlock(c, 2 * c, self.t_dim, 2),  # 14×14
                TimedBlock(2 * c, 2 * c, self.t_dim, 1),
                TimedBlock(2 * c, 2 * c, self.t_dim, 2),  # 7×7
            ]
        )
        self.head = nn.Linear(2 * c, CLASSES)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t_emb = self.t_mlp(timestep_embedding(t, self.t_in).to(x_t.dtype))
        h = x_t
        for block in self.blocks:
            h = block(h, t_emb)
        return self.head(h.mean(dim=(2, 3)))


@dataclass(frozen=True)
class NoisyClassifierSnapshot:
    """Progress of training (CPU floats only); ``by_t`` (test accuracy in percent at several t) at the end."""

    step: int
    total_steps: int
    loss: float  # cross-entropy over the batches since the last snapshot
    accuracy: float  # percent, the same batches (t uniform, so a mean over noise levels)
    by_t: dict[str, float] | None = None

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        if self.by_t:
            return "test accuracy by t: " + "  ".join(
                f"{k.removeprefix('accuracy_')} {v:.1f}%" for k, v in self.by_t.items()
            )
        return f"step {self.step}/{self.total_steps}  loss {self.loss:.3f}  accuracy {self.accuracy:.1f}% (t uniform)"


@torch.no_grad()
def accuracy_by_t(
    model: NoisyClassifier, cfg: NoisyClassifierConfig, x0: torch.Tensor, labels: torch.Tensor, seed: int = 1
) -> dict[str, float]:
    """Test accuracy (percent) of ``model`` on ``x0`` noised to each t of ACCURACY_AT (scaled to cfg's T)."""
    schedule = make_schedule(cfg.schedule, cfg.timesteps)
    g = torch.Generator().manual_seed(seed)
    out = {}
    for at in ACCURACY_AT:
        t_value = min(cfg.timesteps - 1, round(at * cfg.timesteps / 1000))
        t = torch.full((len(x0),), t_value, dtype=torch.long)
        x_t = q_sample(schedule, x0, t, torch.randn(x0.shape, generator=g))
        correct = sum(
            (model(x_t[i : i + 1000], t[i : i + 1000]).argmax(1) == labels[i : i + 1000]).sum().item()
            for i in range(0, len(x0), 1000)
        )
        out[f"accuracy_t{t_value}"] = 100.0 * correct / len(x0)
    return out


def train_noisy_classifier(
    cfg: NoisyClassifierConfig, device: str | None = None, yield_every_s: float = 0.25
) -> Generator[NoisyClassifierSnapshot, None, Checkpoint]:
    """Train p_φ(y | x_t, t) by cross-entropy on x_t ~ q(x_t | x_0) with t uniform (Adam, cosine learning rate),
    yielding snapshots; return the checkpoint, its record holding the test accuracy at several t."""
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    schedule = make_schedule(cfg.schedule, cfg.timesteps)
    images = training_images(cfg.train_limit)
    x_train = to_model_range(images).to(dev)  # (N, 1, 28, 28) in [-1, 1]
    y_train = torch.from_numpy(load_mnist("train").labels[: len(images)].astype(np.int64)).to(dev)
    model = NoisyClassifier(cfg.channels).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps, eta_min=cfg.lr * 0.05)
    g = torch.Generator().manual_seed(cfg.seed)
    terms = RunningMeans(("loss", "correct"), dev)
    snapshots = Every(yield_every_s)
    for step in range(1, cfg.steps + 1):
        batch = torch.randint(0, len(x_train), (cfg.batch_size,), generator=g).to(dev)
        t = torch.randint(0, cfg.timesteps, (cfg.batch_size,), generator=g).to(dev)
        noise = torch.randn((cfg.batch_size, 1, 28, 28), generator=g).to(dev)
        logits = model(q_sample(schedule, x_train[batch], t, noise), t)
        loss = F.cross_entropy(logits, y_train[batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        terms.add(cfg.batch_size, loss=loss * cfg.batch_size, correct=(logits.argmax(1) == y_train[batch]).sum())
        if snapshots.due(force=step == cfg.steps):
            means = terms.take(step, cfg.lr)
            yield NoisyClassifierSnapshot(step, cfg.steps, means["loss"], 100.0 * means["correct"])
    model = model.eval().cpu()
    test = load_mnist("test")
    limit = min(len(test.images), max(1000, cfg.train_limit) if cfg.train_limit else len(test.images))
    metrics = accuracy_by_t(
        model, cfg, to_model_range(test.images[:limit]), torch.from_numpy(test.labels[:limit].astype(np.int64))
    )
    info = {
        "steps": cfg.steps,
        "dataset": dataset_fingerprint(),
        "metrics": metrics,
        "training": training_record(dev, started),
    }
    yield NoisyClassifierSnapshot(cfg.steps, cfg.steps, means["loss"], 100.0 * means["correct"], metrics)
    return Checkpoint(kind=KIND, config=asdict(cfg), state=cpu_copy(model.state_dict()), info=info)


def noisy_classifier_from_checkpoint(ckpt: Checkpoint) -> tuple[NoisyClassifier, NoisyClassifierConfig]:
    """Rebuild the classifier a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(NoisyClassifierConfig, ckpt.config)
    return load_weights(NoisyClassifier(cfg.channels), ckpt).eval(), cfg


def load_noisy_classifier(path: str | Path | None = None) -> tuple[NoisyClassifier, NoisyClassifierConfig]:
    """The shipped noisy classifier, or the one at ``path`` (a one-line CheckpointError otherwise)."""
    return noisy_classifier_from_checkpoint(load_checkpoint(path or NOISY_CLASSIFIER_CHECKPOINT, kind=KIND))


__all__ = [
    "KIND",
    "NOISY_CLASSIFIER_CHECKPOINT",
    "NoisyClassifier",
    "NoisyClassifierConfig",
    "load_noisy_classifier",
    "noisy_classifier_from_checkpoint",
    "train_noisy_classifier",
]
