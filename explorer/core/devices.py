"""Choice of compute device: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import os

import torch


def pick_device(requested: str | None = None) -> torch.device:
    """The device to compute on: ``requested`` if given and usable, else the best available."""
    if requested and requested != "auto":
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but no CUDA GPU is available here.")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError("--device mps was asked for, but Apple's MPS is not available here.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device) -> str:
    """A human name for the device, for the status bar."""
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    cores = os.cpu_count() or 1
    return f"CPU ({cores} core{'' if cores == 1 else 's'})"
