"""The Conditional panel's background jobs: a guided chain and a guidance sweep.

Like the Diffusion panel's chain job, each takes the model as its config and weights (numpy
arrays, see ``explorer.core.runtime.checkpoints.weights_of``), so that it pickles plainly into a
child process, and builds the model on the compute device there.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import numpy as np

from explorer.core.conditional.cddpm import CDDPMConfig, build_cddpm
from explorer.core.conditional.guidance import GUIDANCE, SAMPLER, GuidedFrame, guided_chain
from explorer.core.conditional.sweep import SWEEP, SweepProgress, SweepResult, guidance_sweep
from explorer.core.diffusion.chain_job import MAX_CHAIN_SAMPLES
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.runtime.checkpoints import model_from_weights
from explorer.core.runtime.errors import ExplorerError


def guided_chain_job(
    cfg: CDDPMConfig,
    weights: dict[str, np.ndarray],
    n: int,
    digit: int | None = None,
    guidance: float = GUIDANCE,
    sampler: SamplerConfig = SAMPLER,
    *,
    seed: int = 0,
    device: str | None = None,
) -> Generator[GuidedFrame, None, np.ndarray]:
    """``guided_chain`` on a model built from config and weights: every step's frame (its ``progress``
    is the chain's), then the (n, 28, 28) digits."""
    if not 1 <= n <= MAX_CHAIN_SAMPLES:
        raise ExplorerError(f"Choose between 1 and {MAX_CHAIN_SAMPLES} samples, not {n}.")
    model = model_from_weights(build_cddpm, cfg, weights, device, part="unet")
    return (yield from guided_chain(model, model.schedule, n, digit, guidance, sampler, seed=seed))


def sweep_job(
    cfg: CDDPMConfig,
    weights: dict[str, np.ndarray],
    digit: int,
    guidances: Sequence[float] = SWEEP,
    n: int = 100,
    *,
    seed: int = 0,
    sampler: SamplerConfig = SAMPLER,
    device: str | None = None,
) -> Generator[SweepProgress, None, SweepResult]:
    """``guidance_sweep`` on a model built from config and weights, judged by the shipped classifier."""
    model = model_from_weights(build_cddpm, cfg, weights, device, part="unet")
    return (yield from guidance_sweep(model, digit, tuple(guidances), n, seed=seed, sampler=sampler))
