"""The PixelCNN panel's background jobs: write digits (or complete them) row by row, and time
sampling against the other families.

Each takes the model as its config and weights (numpy arrays), so it pickles plainly into a
child process, and rebuilds the net on the compute device there.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.pixelcnn.model import SIDE, PixelCNNConfig, build_pixelcnn
from explorer.core.pixelcnn.sampling import write_digits
from explorer.core.runtime.checkpoints import model_from_weights
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning

MAX_WRITE = 64  # digits one Write or Complete draws at once


@dataclass(frozen=True)
class Written:
    """Digits written pixel by pixel, with what the model said at every step."""

    images: np.ndarray  # (n, 28, 28) in {0, 1}
    probs: np.ndarray  # (n, 28, 28): p(x_i = 1 | x_<i) when pixel i was written (or scored, if given)
    known: np.ndarray | None  # (n, 28, 28) bool: the pixels that were given, not drawn (None: none were)
    seed: int
    seconds: float  # wall time of the 784 sequential steps


def writing(
    cfg: PixelCNNConfig,
    weights: dict[str, np.ndarray],
    n: int,
    seed: int = 0,
    given: np.ndarray | None = None,
    known: np.ndarray | None = None,
    device: str | None = None,
) -> Generator[float, None, Written]:
    """Write ``n`` digits (or complete ``given`` outside ``known``), yielding the fraction done after each row."""
    if not 1 <= n <= MAX_WRITE:
        raise ExplorerError(f"Write between 1 and {MAX_WRITE} digits at once, not {n}.")
    model = model_from_weights(build_pixelcnn, cfg, weights, device)
    started = time.perf_counter()
    job = Returning(write_digits(model, n, seed, given, known))
    for row in job:
        yield (row + 1) / SIDE
    images, probs = job.value
    return Written(
        images, probs, None if known is None else np.asarray(known, bool), seed, time.perf_counter() - started
    )


COST_DIGITS = 16  # digits each family draws in the sampling-cost comparison


def sampling_costs(
    cfg: PixelCNNConfig, weights: dict[str, np.ndarray], device: str | None = None
) -> Generator[float, None, dict[str, float]]:
    """Seconds to draw COST_DIGITS digits here with this PixelCNN (784 sequential passes), the shipped
    DDPM (DDIM-50: 50 passes) and the shipped VAE (one pass), each measured on this machine.

    A family without a shipped checkpoint is left out. Yields the fraction done after each model.
    """
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.families import FAMILIES, SampleOptions

    dev = pick_device(device)
    models: dict[str, tuple[torch.nn.Module, SampleOptions]] = {
        "pixelcnn": (model_from_weights(build_pixelcnn, cfg, weights, device), {})
    }
    others: tuple[tuple[str, SampleOptions], ...] = (("ddpm", {"sampler": SamplerConfig(steps=50)}), ("vae", {}))
    for name, options in others:
        family = FAMILIES[name]
        if family.default_checkpoint.is_file():
            models[name] = (family.load()[0].to(dev), options)
    seconds: dict[str, float] = {}
    for i, (name, (model, options)) in enumerate(models.items()):
        FAMILIES[name].sample(model, 1, 0, **options)  # warm up: first-call costs are not the method's
        started = time.perf_counter()
        FAMILIES[name].sample(model, COST_DIGITS, 0, **options)
        seconds[name] = time.perf_counter() - started
        yield (i + 1) / len(models)
    return seconds
