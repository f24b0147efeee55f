"""Memory: what a training config will need, told before it starts; running out, told in one line.

The limits allow sizes (a 256-channel U-Net at batch 2048) that no ordinary machine holds. The
estimate builds the nets on the CPU, runs one digit through them with hooks that add up every
layer's output, and scales by the batch: weights, gradients, Adam's two moments and the weight
average per parameter, plus the activations kept for the backward pass. (PyTorch's meta device
would spare the weights' memory, but its first use imports torch._dynamo: 7 s on this machine.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from explorer.core.kinds import kind_title
from explorer.core.runtime.errors import ExplorerError

GB = 1e9
# Activations: each layer's output is kept for the backward pass, its gradient made there, and about as
# much again in the functional steps between layers (activations, adds, the attention's scores).
ACTIVATION_FACTOR = 3.0
STATE_PER_PARAMETER = 5  # weight, gradient, Adam's two moments, the weight average (EMA)
# The options that size a run, by model: what a refusal or an out-of-memory error tells the user to turn down.
KNOBS = {
    "ddpm": "--batch-size or --base-channels",
    "cddpm": "--batch-size or --base-channels",
    "pixelcnn": "--batch-size, --channels or --layers",
    "gan": "--batch-size or --channels",
    "cgan": "--batch-size or --channels",
    "vae": "--batch-size or --hidden",
    "cvae": "--batch-size or --hidden",
    "classifier": "--batch-size or --channels",
}


class MemoryLimitError(ExplorerError):
    """A config needs more memory than the device has free."""


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation failure: MemoryError, torch.OutOfMemoryError (CUDA, MPS) or the
    CPU allocator's RuntimeError."""
    text = str(exc).lower()
    return (
        isinstance(exc, MemoryError)
        or type(exc).__name__ == "OutOfMemoryError"
        or "out of memory" in text
        or "can't allocate memory" in text
    )


def out_of_memory_message(command: str, model: str = "") -> str:
    """One line for a run that ran out of memory, naming the options to turn down."""
    knob = KNOBS.get(model, "--batch-size") if command == "train" else "-n"
    return f"the device ran out of memory; lower {knob} (or run on another device with --device). Nothing was saved."


def _output_bytes(out: Any) -> int:
    tensors = out if isinstance(out, (tuple, list)) else (out,)
    return sum(t.numel() * t.element_size() for t in tensors if isinstance(t, torch.Tensor))


def per_digit_activation_bytes(net: nn.Module, *inputs: torch.Tensor) -> int:
    """The bytes every leaf layer of ``net`` outputs for one digit."""
    total = 0

    def add(module: nn.Module, args: Any, out: Any) -> None:
        nonlocal total
        total += _output_bytes(out)

    hooks = [m.register_forward_hook(add) for m in net.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            net(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return total


def _probes(kind: str, cfg: Any) -> list[tuple[nn.Module, tuple[torch.Tensor, ...]]]:
    """The nets a training step of ``kind`` runs, with one digit's inputs."""
    x, t = torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long)
    if kind == "ddpm":
        from explorer.core.diffusion.model import build_ddpm

        return [(build_ddpm(cfg).unet, (x, t))]
    if kind == "cddpm":
        from explorer.core.conditional.cddpm import build_cddpm

        return [(build_cddpm(cfg).unet, (x, t, t))]
    if kind == "pixelcnn":
        from explorer.core.pixelcnn.model import build_pixelcnn

        return [(build_pixelcnn(cfg), (x,))]
    if kind == "noisy-classifier":
        from explorer.core.conditional.noisy_classifier import NoisyClassifier

        return [(NoisyClassifier(cfg.channels), (x, t))]
    if kind == "gan" and cfg.mode == "mnist":
        from explorer.core.gan.nets import build_networks

        g, d = build_networks(cfg)
        return [(g, (torch.zeros(1, cfg.latent_dim),)), (d, (x,))]
    if kind == "cgan":
        from explorer.core.cgan.nets import build_conditional_networks

        label = torch.zeros(1, dtype=torch.long)
        cg, cd = build_conditional_networks(cfg)
        return [(cg, (torch.zeros(1, cfg.latent_dim), label)), (cd, (x, label))]
    return []  # the VAEs, the classifier and the toy GAN: small whatever their limits allow


def training_bytes(kind: str, cfg: Any) -> int:
    """About how many bytes a training run of ``kind`` with ``cfg`` needs at its peak."""
    probes = _probes(kind, cfg)
    activations = sum(per_digit_activation_bytes(net, *inputs) for net, inputs in probes)
    parameters = sum(p.numel() * 4 for net, _ in probes for p in net.parameters())
    return math.ceil(STATE_PER_PARAMETER * parameters + ACTIVATION_FACTOR * activations * cfg.batch_size)


def free_bytes(device: torch.device) -> int | None:
    """Memory free for a run on ``device`` (CUDA: the GPU's; CPU: what Linux says is available); None where unknown."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None


def check_training_memory(
    kind: str, cfg: Any, device: torch.device, measure: Callable[[str, Any], int] = training_bytes
) -> None:
    """Refuse a training config that needs more memory than ``device`` has free, with both figures."""
    free = free_bytes(device)
    if free is None:
        return
    needed = measure(kind, cfg)
    if needed > free:
        raise MemoryLimitError(
            f"training this {kind_title(kind)} needs about {needed / GB:.1f} GB of memory at batch size "
            f"{cfg.batch_size}; the {device.type.upper()} has {free / GB:.1f} GB free. "
            f"Lower {KNOBS.get(kind, '--batch-size')}."
        )
