"""The shape of a checkpoint's record of its training (``info``), checked whole when it is loaded.

The panels draw its history, print its metrics and sum its runs' minutes; a record with a
string where a number belongs would fail there, after the model was already installed. So the
loader checks every field those readers use, here, before anything is built.
"""

from __future__ import annotations

import math
from typing import Any

from explorer.core.runtime.quoting import quoted

REQUIRED_INFO = ("steps", "dataset", "metrics")
COUNTS = ("steps", "epochs", "d_steps")  # whole numbers of steps, epochs, discriminator steps
# What the panels plot of each history point, by kind (the point's x first), as the training loops write it.
HISTORY_KEYS = {
    "vae": ("epoch", "neg_elbo", "recon", "kl"),
    "cvae": ("epoch", "neg_elbo", "recon", "kl"),
    "classifier": ("epoch",),
    "ddpm": ("step", "loss"),
    "cddpm": ("step", "loss"),
    "gan": ("step", "d_loss", "g_loss", "d_real", "d_fake"),
    "cgan": ("step", "d_loss", "g_loss", "d_real", "d_fake"),
    "pixelcnn": ("step", "train_nll", "test_nll"),
}
# Metrics the panels print together: where a record has the first, it has them all.
METRIC_GROUPS = {
    "vae": ("test_neg_elbo", "test_recon", "test_kl"),
    "cvae": ("test_neg_elbo", "test_recon", "test_kl"),
    "gan": ("d_real", "d_fake"),
    "cgan": ("d_real", "d_fake"),
    "pixelcnn": ("test_nll", "test_bits_per_pixel"),
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool)) or _number(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _table_of_numbers(value: Any) -> bool:
    return isinstance(value, dict) and all(_number(v) for v in value.values())


def info_problem(info: Any, kind: str = "") -> str | None:
    """What is wrong with a checkpoint's record, in words; None if every field has the type its readers need.

    Checked: the counts (steps, epochs, d_steps) are whole numbers, the dataset is text, the metrics and each
    history point are tables of numbers, the training record holds text and numbers, and each earlier run
    under "continues" (a chain, followed without recursion) holds the same; other fields are plain values. For a
    ``kind`` the app knows, each history point holds what its panel plots, and the metrics it prints together."""
    if not isinstance(info, dict):
        return "the record is not a table"
    missing = [key for key in REQUIRED_INFO if key not in info]
    if missing:
        return f"the record lacks {', '.join(missing)}"
    record: Any = info
    where = "the record"
    while record is not None:
        if not isinstance(record, dict):
            return f"{where} is not a table"
        for key, value in record.items():
            field = f"{where}'s {quoted(key)}"
            if key in COUNTS and not (_count(value) or (value is None and record is not info)):
                return f"{field} must be a whole number, not {quoted(value)}"
            if key == "dataset" and not (
                isinstance(value, str)
                or (isinstance(value, dict) and all(isinstance(v, str) or _number(v) for v in value.values()))
            ):
                return f"{field} must be text or a table of text and numbers (the 2-D Lab's), not {quoted(value)}"
            if key == "metrics" and not _table_of_numbers(value):
                return f"{field} must be a table of numbers, not {quoted(value)}"
            if key == "history" and not (isinstance(value, list) and all(_table_of_numbers(p) for p in value)):
                return f"{field} must be a list of tables of numbers"
            if key == "training" and not (
                value is None
                or (isinstance(value, dict) and all(_number(v) or isinstance(v, str) for v in value.values()))
            ):
                return f"{field} must be a table of text and numbers, not {quoted(value)}"
            if key not in (*COUNTS, "dataset", "metrics", "history", "training", "continues") and not (
                _plain(value) or (isinstance(value, dict) and all(_plain(v) for v in value.values()))
            ):
                return f"{field} must be a plain value or a table of them, not {quoted(value)}"
            if (
                key == "training"
                and value
                and not (isinstance(value.get("seconds", 0), (int, float)) and isinstance(value.get("device", ""), str))
            ):
                return f"{field} must give its seconds as a number and its device as text"
        record, where = record.get("continues"), "an earlier run's record"
    return _kind_problem(info, kind)


def _kind_problem(info: dict[str, Any], kind: str) -> str | None:
    """What the record of a ``kind`` model lacks of what its panel reads."""
    group = METRIC_GROUPS.get(kind, ())
    metrics = info["metrics"] if isinstance(info["metrics"], dict) else {}
    if group and group[0] in metrics and not all(key in metrics for key in group):
        return f"the record's metrics have {group[0]} without {', '.join(k for k in group[1:] if k not in metrics)}"
    history = info.get("history", [])
    needed = HISTORY_KEYS.get(kind, ())
    if isinstance(history, list) and any(isinstance(p, dict) and not all(k in p for k in needed) for p in history):
        return f"each point of the record's history must give {', '.join(needed)}"
    return None
