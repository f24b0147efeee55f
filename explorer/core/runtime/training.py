"""What every training loop shares: its data, its NaN guard and the record it leaves."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from explorer.core.runtime.data import dataset_fingerprint, load_mnist
from explorer.core.runtime.devices import describe
from explorer.core.runtime.errors import TrainingError


def training_images(limit: int = 0) -> np.ndarray:
    """MNIST's training digits, uint8 (N, 28, 28): all 60,000, or the first ``limit`` for tiny runs."""
    images = load_mnist("train").images
    return images[:limit] if limit else images


def training_labels(limit: int = 0) -> np.ndarray:
    """The labels of ``training_images(limit)``, int64 (N,)."""
    labels = load_mnist("train").labels.astype(np.int64)
    return labels[:limit] if limit else labels


def check_finite(loss: float, step: int, lr: float) -> None:
    """Stop training with a message the user can act on once the loss is NaN or infinite."""
    if not math.isfinite(loss):
        raise TrainingError(
            f"The loss became NaN or infinite at step {step} (learning rate {lr:g}). "
            "Training stopped; lower the learning rate and try again."
        )


def training_record(device: torch.device, started: float) -> dict[str, object]:
    """Where, when and how long a model was trained, for its checkpoint."""
    return {
        "device": describe(device),
        "seconds": round(time.time() - started, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": torch.__version__,
    }


def cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict's tensors copied to the CPU, detached: a checkpoint that later steps do not change."""
    return {name: t.detach().cpu().clone() for name, t in state.items()}


class Every:
    """A loop's clock for work done at most every ``seconds`` (a snapshot, a preview), or when
    forced (an epoch's end, the last step): throttling where the data is made, as Orange's TaskState does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = time.monotonic()

    def due(self, force: bool = False) -> bool:
        """True, and the clock restarts, if ``seconds`` have passed since it last said so, or if forced."""
        now = time.monotonic()
        if force or now - self.last >= self.seconds:
            self.last = now
            return True
        return False

    def restart(self) -> None:
        self.last = time.monotonic()


class RunningMeans:
    """Sums of a loop's per-step terms, kept on the device (no host sync per step), read as
    means at a snapshot, where a NaN or infinite value stops training with a message."""

    def __init__(self, names: tuple[str, ...], device: torch.device) -> None:
        self.names = names
        self.sums = torch.zeros(len(names), device=device)
        self.count = 0

    def add(self, count: int = 1, **terms: torch.Tensor) -> None:
        """Add each term's sum over ``count`` items (a batch's summed loss and its size, or a mean and 1)."""
        self.sums += torch.stack([terms[name].detach() for name in self.names])
        self.count += count

    def take(self, step: int, lr: float) -> dict[str, float]:
        """The means since the last ``take``, checked finite; the sums start again."""
        means = dict(zip(self.names, (self.sums / max(self.count, 1)).tolist(), strict=True))
        check_finite(sum(means.values()), step, lr)
        self.sums.zero_()
        self.count = 0
        return means


def epoch_run_info(
    steps: int,
    epochs: int,
    test: dict[str, float],
    train: dict[str, float],
    history: list[dict[str, float]],
    device: torch.device,
    started: float,
) -> dict[str, object]:
    """A checkpoint's record of a run counted in epochs (the VAE, the classifier): its size, data,
    final test and training metrics, per-epoch test history, and where and how long it ran."""
    return {
        "steps": steps,
        "epochs": epochs,
        "dataset": dataset_fingerprint(),
        "metrics": {f"test_{k}": v for k, v in test.items()} | {f"train_{k}": v for k, v in train.items()},
        "history": history,
        "training": training_record(device, started),
    }


def training_runs(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs that made a checkpoint, earliest first: each one's steps and training record.

    A run started with ``init_from`` keeps its predecessor's record under "continues".
    """
    runs = []
    while info:
        runs.append({"steps": info.get("steps", 0), "training": info.get("training") or {}})
        info = info.get("continues") or {}
    return runs[::-1]


PRECISIONS = ("fp32", "bf16")


def mixed_precision(device: torch.device, precision: str) -> torch.autocast:
    """The forward passes of a training step in bfloat16 where ``precision`` is "bf16" (weights, gradients
    and the optimiser stay float32). Faster on a CPU with AVX-512-BF16 or a GPU (figures: docs/measurements.md);
    a CPU without bf16 arithmetic may be slower with it."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
