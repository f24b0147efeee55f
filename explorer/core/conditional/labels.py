"""The label y the conditional models are told: ten digits, one-hot for the cVAE, and the null class ∅
(index 10) that stands for "no label" in classifier-free guidance."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from explorer.core.runtime.limits import ConfigError

DIGITS = 10
NULL_CLASS = DIGITS  # ∅: the label a training batch's dropped labels get, and the unconditional model's


def one_hot(labels: torch.Tensor) -> torch.Tensor:
    """(B,) digit labels 0..9 -> (B, 10) float one-hot vectors."""
    return F.one_hot(labels, DIGITS).float()


def check_digit(digit: int | None) -> None:
    """Refuse a digit outside 0..9 (None asks for all ten in turn), before anything is drawn."""
    if digit is not None and (
        isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit < DIGITS
    ):
        raise ConfigError("digit", f"must be an integer from 0 to {DIGITS - 1}", digit)


def class_labels(n: int, digit: int | None) -> torch.Tensor:
    """(n,) int64 labels: all ``digit``, or 0, 1, ..., 9, 0, 1, ... where ``digit`` is None."""
    check_digit(digit)
    if digit is None:
        return torch.arange(n) % DIGITS
    return torch.full((n,), int(digit), dtype=torch.long)
