"""What every training loop shares: its data, its NaN guard and the record it leaves."""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.devices import describe
from explorer.core.runtime.errors import TrainingError


def training_images(limit: int = 0) -> np.ndarray:
    """MNIST's training digits, uint8 (N, 28, 28): all 60,000, or the first ``limit`` for tiny runs."""
    images = load_mnist("train").images
    return images[:limit] if limit else images


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
