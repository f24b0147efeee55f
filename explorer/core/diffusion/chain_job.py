"""The background job of the Diffusion panel: one or more reverse chains from the same seeded x_T.

It takes the model as its config and weights (numpy arrays), not as a module, so that it
pickles plainly into a child process, and moves the model to the compute device there.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from explorer.core.diffusion.model import DDPMConfig, build_ddpm
from explorer.core.diffusion.sampler import ChainFrame, SamplerConfig, sample_chain
from explorer.core.runtime.checkpoints import model_from_weights, weights_of
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning


@dataclass(frozen=True)
class SamplerFrame:
    """One step of one sampler's chain, with the progress of the whole job."""

    sampler: str
    frame: ChainFrame
    progress: float

    def summary(self) -> str:
        f = self.frame
        return f"{self.sampler.upper()} step {f.step}/{f.total_steps}  t {f.t + 1}  ᾱ_t {f.alpha_bar:.4f}"


MAX_CHAIN_SAMPLES = 256


def reverse_chains(
    cfg: DDPMConfig,
    weights: dict[str, np.ndarray],
    n: int,
    samplers: tuple[SamplerConfig, ...] = (SamplerConfig(),),
    *,
    seed: int = 0,
    device: str | None = None,
) -> Generator[SamplerFrame, None, dict[str, np.ndarray]]:
    """Run each sampler's chain in turn from the x_T that ``seed`` draws; yield every step.

    Returns each sampler's finished digits by its name, (n, 28, 28) float32 in [0, 1].
    """
    if not 1 <= n <= MAX_CHAIN_SAMPLES:
        raise ExplorerError(f"Choose between 1 and {MAX_CHAIN_SAMPLES} samples, not {n}.")
    if not samplers:
        raise ExplorerError("Name at least one sampler to run.")
    dev = pick_device(device)
    model = model_from_weights(build_ddpm, cfg, weights, device, part="unet")
    totals = [s.chain_length(cfg.timesteps) for s in samplers]
    done, results = 0, {}
    for sampler in samplers:
        chain = Returning(sample_chain(model, model.schedule, n, sampler, seed=seed, device=dev))
        for frame in chain:
            done += 1
            yield SamplerFrame(sampler.sampler, frame, done / sum(totals))
        results[sampler.sampler] = chain.value
    return results


__all__ = ["MAX_CHAIN_SAMPLES", "SamplerFrame", "reverse_chains", "weights_of"]
