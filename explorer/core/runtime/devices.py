"""Choice of compute device: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import os
import re

import torch

from explorer.core.runtime.errors import ExplorerError

DEVICE_NAMES = "auto, cpu, cuda, cuda:N or mps"


class DeviceError(ExplorerError):
    """The device asked for is unknown or not available on this machine."""


def pick_device(requested: str | None = None) -> torch.device:
    """The device to compute on: ``requested`` if given and usable, else the best available.

    Anything else than auto, cpu, cuda, cuda:N or mps, and a device this machine does not
    have, is a DeviceError: asked-for hardware is never silently replaced by other hardware.
    """
    if requested and requested != "auto":
        if not re.fullmatch(r"cpu|mps|cuda(:\d{1,3})?", requested):
            raise DeviceError(f"Unknown device {requested!r}; choose {DEVICE_NAMES}.")
        device = torch.device(requested)
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise DeviceError(
                    f"--device {requested} was asked for, but no CUDA GPU is available here; use --device cpu."
                )
            if device.index is not None and device.index >= torch.cuda.device_count():
                raise DeviceError(
                    f"--device {requested} was asked for, but this machine has "
                    f"{torch.cuda.device_count()} CUDA GPU(s), numbered from 0."
                )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise DeviceError("--device mps was asked for, but Apple's MPS is not available here; use --device cpu.")
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
