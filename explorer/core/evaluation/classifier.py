"""An MNIST classifier whose features and predictions stand in for Inception's.

FID, KID and the Inception Score measure generated images in the feature space and
with the predictions of an ImageNet Inception net, whose weights cannot be fetched
here; on digits a small CNN trained on MNIST is the better judge anyway. Its 128-d
penultimate layer gives the features, its softmax p(y|x) the predictions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_checkpoint, load_weights
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.limits import SEED_MAX, TRAIN_IMAGES, bounded, validate
from explorer.core.runtime.paths import CHECKPOINTS
from explorer.core.runtime.training import Every, RunningMeans, epoch_run_info, training_images

CLASSIFIER_CHECKPOINT = CHECKPOINTS / "classifier.safetensors"
FEATURES = 128  # width of the penultimate layer, the feature space of FID and KID
CLASSES = 10
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # pixel statistics of the training set, for input scaling


@dataclass(frozen=True)
class ClassifierConfig:
    """Training settings; the defaults train the shipped classifier."""

    channels: int = bounded(16, 2, 256)  # feature maps at 28x28 (twice as many at 14x14)
    epochs: int = bounded(5, 1, 1000)
    batch_size: int = bounded(128, 2, 4096)  # BatchNorm needs two images at least
    lr: float = bounded(1e-3, 0.0, 10.0, low_open=True)
    dropout: float = bounded(0.25, 0.0, 0.9)
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)


class MNISTClassifier(nn.Module):
    """Two conv blocks (28x28 -> 14x14 -> 7x7), a 128-d feature layer, then 10 logits."""

    def __init__(self, channels: int = 16, dropout: float = 0.25) -> None:
        super().__init__()
        c = channels
        self.conv = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c, 14, 14)
            nn.Conv2d(c, 2 * c, 3, padding=1),
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 2c, 7, 7)
        )
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(2 * c * 7 * 7, FEATURES), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(FEATURES, CLASSES))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) pixels in [0, 1] -> (B, 128) penultimate activations."""
        return self.embed(self.conv((x - MNIST_MEAN) / MNIST_STD))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) pixels in [0, 1] -> (B, 10) logits."""
        return self.head(self.features(x))


@dataclass(frozen=True)
class ClassifierSnapshot:
    """Progress of training: losses and accuracies (percent), CPU floats only."""

    step: int
    total_steps: int
    epoch: float
    train: dict[str, float]  # loss, accuracy over the batches since the last snapshot
    test: dict[str, float] | None = None  # loss, accuracy on the 10,000 test digits, at each epoch's end

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        return f"epoch {self.epoch:.1f}  loss {self.train['loss']:.3f}  accuracy {self.train['accuracy']:.1f}%"


def as_batch(images: np.ndarray) -> torch.Tensor:
    """(N, 28, 28) uint8 or [0, 1] float images -> (N, 1, 28, 28) float32 tensor in [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ExplorerError(f"The classifier takes (N, 28, 28) images, not an array of shape {images.shape}.")
    x = torch.from_numpy(images.astype(np.float32))
    return (x / 255.0 if images.dtype == np.uint8 else x).unsqueeze(1)


@torch.no_grad()
def evaluate(model: MNISTClassifier, x: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> dict[str, float]:
    """Mean cross-entropy (nats) and accuracy (percent) of ``model`` on (N, 1, 28, 28) ``x``."""
    loss = correct = 0.0
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size])
        y = labels[start : start + batch_size]
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    return {"loss": loss / len(x), "accuracy": 100.0 * correct / len(x)}


def train_classifier(
    cfg: ClassifierConfig, device: str | None = None, yield_every_s: float = 0.25
) -> Generator[ClassifierSnapshot, None, Checkpoint]:
    """Train the classifier with Adam and a cosine learning rate, yielding snapshots; return the checkpoint."""
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    train_split = load_mnist("train")
    images = training_images(cfg.train_limit)
    x_train = as_batch(images).to(dev)
    y_train = torch.from_numpy(train_split.labels[: len(images)]).to(dev)
    test = load_mnist("test")
    x_test, y_test = as_batch(test.images).to(dev), torch.from_numpy(test.labels).to(dev)
    model = MNISTClassifier(cfg.channels, cfg.dropout).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(x_train) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=cfg.lr * 0.05)
    g = torch.Generator().manual_seed(cfg.seed)
    terms = RunningMeans(("loss", "correct"), dev)  # per image, since the last snapshot
    step = 0
    snapshots = Every(yield_every_s)
    test_metrics: dict[str, float] = {}
    history: list[dict[str, float]] = []
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x_train), generator=g).to(dev)
        model.train()
        for i in range(steps_per_epoch):
            batch = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            logits = model(x_train[batch])
            loss = F.cross_entropy(logits, y_train[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            terms.add(len(batch), loss=loss * len(batch), correct=(logits.argmax(1) == y_train[batch]).sum())
            step += 1
            epoch_end = i == steps_per_epoch - 1
            if not snapshots.due(force=epoch_end):
                continue
            means = terms.take(step, cfg.lr)
            train = {"loss": means["loss"], "accuracy": 100.0 * means["correct"]}
            test_now = None
            if epoch_end:
                test_metrics = evaluate(model.eval(), x_test, y_test)
                test_now = test_metrics
                history.append({"epoch": epoch + 1, **test_metrics})
                model.train()
            yield ClassifierSnapshot(step, total, step / steps_per_epoch, train, test_now)
    train_metrics = evaluate(model.eval(), x_train[:10000], y_train[:10000])
    info = epoch_run_info(total, cfg.epochs, test_metrics, train_metrics, history, dev, started)
    return Checkpoint(kind="classifier", config=asdict(cfg), state=model.state_dict(), info=info)


def classifier_from_checkpoint(ckpt: Checkpoint) -> MNISTClassifier:
    """Rebuild the classifier a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(ClassifierConfig, ckpt.config)
    return load_weights(MNISTClassifier(cfg.channels, cfg.dropout), ckpt).eval()


def load_classifier(path: str | Path | None = None) -> tuple[MNISTClassifier, Checkpoint]:
    """The shipped classifier (or the one at ``path``), with a message that says how to make it if missing."""
    path = Path(path or CLASSIFIER_CHECKPOINT)
    if not path.is_file():
        raise ExplorerError(
            f"No classifier checkpoint at {path}: the metrics need it. "
            "Train it with `gen-explorer train classifier` (a few minutes on a CPU)."
        )
    ckpt = load_checkpoint(path, kind="classifier")
    return classifier_from_checkpoint(ckpt), ckpt


@torch.inference_mode()
def embed(model: MNISTClassifier, images: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) images -> features (N, 128) and class probabilities p(y|x) (N, 10), float64."""
    x = as_batch(images)
    device = next(model.parameters()).device
    feats, probs = [], []
    for start in range(0, len(x), batch_size):
        h = model.features(x[start : start + batch_size].to(device))  # (B, 128)
        feats.append(h.double().cpu())
        probs.append(torch.softmax(model.head(h).double(), dim=1).cpu())  # dropout is off in eval mode
    if not feats:
        return np.zeros((0, FEATURES)), np.zeros((0, CLASSES))
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


def features(model: MNISTClassifier, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images in [0, 1] (or uint8) -> (N, 128) penultimate features."""
    return embed(model, images)[0]


def probabilities(model: MNISTClassifier, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images in [0, 1] (or uint8) -> (N, 10) class probabilities p(y|x)."""
    return embed(model, images)[1]
