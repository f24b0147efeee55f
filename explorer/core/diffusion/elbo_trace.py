"""The bound of elbo.py made visible on one test digit: the background job that computes it term by term, the
trace it leaves (every timestep's draw of x_t, eps_theta and term), the two Gaussians of one pixel at one t, and
the weights that turn the bound into the eps-objective (Ho et al. 2020, eq. 8-14).

Every L_{t-1} is computed on one draw of x_t ~ q(x_t | x_0) per timestep, the draws of ``forward_noise``: so the
Gaussians shown at a pixel and t are the very ones whose KL, summed over the 784 pixels, is the plotted L_{t-1}.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.diffusion.elbo import ELBOTerms, EpsModel, StepTerms, forward_noise, prior_term, step_terms
from explorer.core.diffusion.model import DDPMConfig, build_ddpm
from explorer.core.diffusion.schedule import NoiseSchedule
from explorer.core.runtime.checkpoints import model_from_weights
from explorer.core.runtime.evented import Evented

BOUND_BATCH = 50  # timesteps per network pass of the job, and per progress report


def to_model_space(digit: np.ndarray) -> torch.Tensor:
    """A stored uint8 digit (28, 28) as the model sees it: (1, 1, 28, 28) on 256 levels in [-1, 1]."""
    return torch.from_numpy(digit.astype(np.float32) / 127.5 - 1.0)[None, None]


def eps_weight(schedule: NoiseSchedule, i: int) -> float:
    """lambda_t = beta_t^2 / (2 sigma_t^2 alpha_t (1 - abar_t)) with sigma_t^2 = beta_t (eq. 12): each pixel's KL is
    kl_constant + lambda_t (eps - eps_theta)^2, and the eps-objective L_simple sets lambda_t to 1 (eq. 14)."""
    beta, abar = schedule.betas[i].item(), schedule.alphas_cumprod[i].item()
    return beta / (2 * (1 - beta) * (1 - abar))


def kl_constant(schedule: NoiseSchedule, i: int) -> float:
    """C_t = KL between Gaussians of equal means and variances beta~_t and sigma_t^2 = beta_t: the part of each
    pixel's L_{t-1} no parameter can change, which L_simple drops."""
    beta, post_var = schedule.betas[i].item(), schedule.posterior_variance[i].item()
    return 0.5 * (math.log(beta / post_var) + post_var / beta - 1.0)


@dataclass(frozen=True)
class BoundChunk:
    """What the bound job yields: the terms at the 0-based timesteps start .. start + len(term) - 1."""

    start: int
    term: np.ndarray  # (n,) L_{t-1} (L_0 at index 0) in nats
    eps_mse: np.ndarray  # (n,) ||eps - eps_theta||^2 summed over the pixels
    eps_theta: np.ndarray  # (n, 28, 28) float32
    T: int

    @property
    def progress(self) -> float:
        return (self.start + len(self.term)) / self.T

    def summary(self) -> str:
        return f"{self.start + len(self.term)} of {self.T} timesteps"


def bound_job(
    cfg: DDPMConfig,
    weights: dict[str, np.ndarray],
    digit: np.ndarray,
    *,
    seed: int = 0,
    batch: int = BOUND_BATCH,
    device: str | None = None,
) -> Generator[BoundChunk, None, None]:
    """Every term of the bound of test digit ``digit`` (uint8, 28 x 28) under the model ``cfg``, ``weights``: T
    network passes, ``batch`` timesteps at a time, each batch yielded as it is done."""
    model = model_from_weights(build_ddpm, cfg, weights, device, part="unet")
    device_of = next(model.parameters()).device
    x0 = to_model_space(digit).to(device_of)
    T = model.schedule.T
    noise = forward_noise(T, tuple(x0.shape[1:]), seed=seed)
    for start in range(0, T, batch):
        i = torch.arange(start, min(start + batch, T))
        with torch.inference_mode():
            terms = step_terms(model, model.schedule, x0, i, noise[start : start + len(i)])
        yield BoundChunk(start, terms.term.numpy(), terms.eps_mse.numpy(), terms.eps_theta[:, 0].numpy(), T)


class BoundTrace:
    """One digit's bound as its chunks arrive, and the two Gaussians at any pixel and t: from the job's eps_theta
    where it has reached t, else from one pass of the model it is asked with."""

    def __init__(self, schedule: NoiseSchedule, digit: np.ndarray, seed: int = 0) -> None:
        self.schedule, self.seed = schedule, seed
        self.x0 = to_model_space(digit)  # (1, 1, 28, 28)
        T = schedule.T
        self.noise = forward_noise(T, tuple(self.x0.shape[1:]), seed=seed)  # (T, 1, 28, 28) the draws of x_t
        self.prior = prior_term(schedule, self.x0)  # L_T
        self.term = np.full(T, np.nan)  # L_0, L_1, ..., L_{T-1} as they arrive
        self.eps_mse = np.full(T, np.nan)
        self.eps_theta = np.zeros((T, *self.x0.shape[2:]), np.float32)
        self.done = np.zeros(T, bool)
        self._passes: dict[int, torch.Tensor] = {}  # eps_theta of single passes, before the job reaches i

    def add(self, chunk: BoundChunk) -> None:
        span = slice(chunk.start, chunk.start + len(chunk.term))
        self.term[span], self.eps_mse[span], self.eps_theta[span] = chunk.term, chunk.eps_mse, chunk.eps_theta
        self.done[span] = True

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    def terms(self) -> ELBOTerms:
        """The bound (eq. 5), once every timestep is in."""
        if not self.complete:
            raise ValueError("the bound is not complete yet")
        return ELBOTerms(self.prior, self.term[1:].copy(), float(self.term[0]), self.x0[0].numel())

    def step(self, i: int, model: EpsModel | None) -> StepTerms | None:
        """Everything at 0-based timestep ``i`` on this trace's draw of x_t, batch of one; None where the job has
        not reached ``i`` and there is no ``model`` to pass x_t through."""
        if self.done[i]:
            eps_theta: torch.Tensor | None = torch.from_numpy(self.eps_theta[i])[None, None]
        else:
            eps_theta = self._passes.get(i)
        if eps_theta is None:
            if model is None:
                return None
            with torch.inference_mode():
                terms = step_terms(model, self.schedule, self.x0, torch.tensor([i]), self.noise[i : i + 1])
            self._passes[i] = terms.eps_theta
            return terms
        known: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = lambda x_t, t: eps_theta  # noqa: E731
        return step_terms(known, self.schedule, self.x0, torch.tensor([i]), self.noise[i : i + 1])


@dataclass(eq=False)
class ELBOState(Evented):
    """What the ELBO section shows: a test digit, one of its pixels (row, column) and the paper's t = 1..T; and
    the digit whose bound the job computes now (None: no job)."""

    digit: int = 0
    pixel: tuple[int, int] = (12, 14)
    t: int = 100
    computing: int | None = None
