"""The background job of the Diffusion panel: one or more reverse chains from the same seeded x_T.

It takes the model as its config and weights (numpy arrays), not as a module, so that it
pickles plainly into a child process, and moves the model to the compute device there.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.checkpoints import Checkpoint
from explorer.core.diffusion import ChainFrame, DDPMConfig, build_ddpm, sample_chain
from explorer.core.devices import pick_device

SAMPLERS = ("ddpm", "ddim")


@dataclass(frozen=True)
class SamplerFrame:
    """One step of one sampler's chain, with the progress of the whole job."""

    sampler: str
    frame: ChainFrame
    progress: float

    def summary(self) -> str:
        f = self.frame
        return f"{self.sampler.upper()} step {f.step}/{f.total_steps}  t {f.t + 1}  ᾱ_t {f.alpha_bar:.4f}"


def chain_steps(sampler: str, T: int, ddim_steps: int) -> int:
    """How many steps (frames) a sampler's chain has: DDPM walks all T, DDIM K of them."""
    return T if sampler == "ddpm" else ddim_steps


def weights_of(ckpt: Checkpoint) -> dict[str, np.ndarray]:
    """A checkpoint's weights as numpy arrays, for a job's arguments."""
    return {name: t.detach().cpu().numpy() for name, t in ckpt.state.items()}


def reverse_chains(
    cfg: DDPMConfig,
    weights: dict[str, np.ndarray],
    n: int,
    samplers: tuple[str, ...] = ("ddim",),
    ddim_steps: int = 50,
    eta: float = 0.0,
    seed: int = 0,
    device: str | None = None,
) -> Generator[SamplerFrame, None, dict[str, np.ndarray]]:
    """Run each sampler's chain in turn from the x_T that ``seed`` draws; yield every step.

    Returns each sampler's finished digits, (n, 28, 28) float32 in [0, 1].
    """
    if not 1 <= n <= 256:
        raise ValueError(f"Choose between 1 and 256 samples, not {n}.")
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown or not samplers:
        raise ValueError(f"Unknown sampler {unknown[0] if unknown else None!r}; choose 'ddpm' or 'ddim'.")
    dev = pick_device(device)
    model = build_ddpm(cfg)
    model.unet.load_state_dict({name: torch.from_numpy(w) for name, w in weights.items()})
    model = model.to(dev).eval()
    totals = [chain_steps(s, cfg.timesteps, ddim_steps) for s in samplers]
    done, results = 0, {}
    for sampler, total in zip(samplers, totals):
        chain = sample_chain(model, model.schedule, n, sampler, ddim_steps, eta, seed, dev)
        while True:
            try:
                frame = next(chain)
            except StopIteration as finished:
                results[sampler] = finished.value
                break
            done += 1
            yield SamplerFrame(sampler, frame, done / sum(totals))
    return results
