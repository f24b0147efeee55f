"""The Conditional panel's background jobs: a guided chain, a guidance sweep, and classifier guidance's
comparison and sweep.

Like the Diffusion panel's chain job, each takes the model as its config and weights (numpy
arrays, see ``explorer.core.runtime.checkpoints.weights_of``), so that it pickles plainly into a
child process, and builds the model on the compute device there.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core.conditional.cddpm import CDDPMConfig, build_cddpm
from explorer.core.conditional.classifier_guidance import check_classifier_scale, check_pair, sample_classifier_guided
from explorer.core.conditional.guidance import GUIDANCE, SAMPLER, GuidedFrame, check_guidance, guided_chain
from explorer.core.conditional.labels import check_digit
from explorer.core.conditional.noisy_classifier import NoisyClassifier, NoisyClassifierConfig
from explorer.core.conditional.sweep import (
    CLASSIFIER_SWEEP,
    SWEEP,
    SweepProgress,
    SweepResult,
    classifier_guidance_sweep,
    guidance_sweep,
)
from explorer.core.diffusion.chain_job import MAX_CHAIN_SAMPLES
from explorer.core.diffusion.model import DDPMConfig, build_ddpm
from explorer.core.diffusion.sampler import ChainFrame, SamplerConfig
from explorer.core.evaluation.classifier import embed, load_classifier
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


@dataclass(frozen=True)
class GuidanceComparison:
    """The same digit asked of both guidances from the same x_T, and how often the judge reads it."""

    digit: int
    classifier_guided: np.ndarray  # (n, 28, 28): the unconditional DDPM pushed by the noisy classifier, scale s
    classifier_free: np.ndarray | None  # (n, 28, 28): the cDDPM with weight w (None without a cDDPM)
    accuracy_classifier_guided: float  # share read as ``digit`` by the metrics' classifier
    accuracy_classifier_free: float | None


def guidance_comparison_job(
    ddpm: tuple[DDPMConfig, dict[str, np.ndarray]],
    noisy: tuple[NoisyClassifierConfig, dict[str, np.ndarray]],
    cddpm: tuple[CDDPMConfig, dict[str, np.ndarray]] | None,
    n: int,
    digit: int,
    scale: float,
    guidance: float = GUIDANCE,
    sampler: SamplerConfig = SAMPLER,
    *,
    seed: int = 0,
    device: str | None = None,
) -> Generator[ChainFrame, None, GuidanceComparison]:
    """Draw ``digit`` n times by classifier guidance (scale s) and, given a cDDPM, by classifier-free guidance
    (weight w), both from the x_T of ``seed``; yield each step of both chains; judge both batches."""
    if not 1 <= n <= MAX_CHAIN_SAMPLES:
        raise ExplorerError(f"Choose between 1 and {MAX_CHAIN_SAMPLES} samples, not {n}.")
    check_digit(digit)
    check_classifier_scale(scale)
    check_guidance(guidance)
    model = model_from_weights(build_ddpm, ddpm[0], ddpm[1], device, part="unet")
    check_pair(model.schedule, noisy[0])
    classifier = model_from_weights(lambda c: NoisyClassifier(c.channels), noisy[0], noisy[1], device)
    digits = np.full(n, digit)
    pushed = yield from sample_classifier_guided(model, classifier.eval(), digits, scale, sampler, seed=seed)
    free = None
    if cddpm is not None:
        conditional = model_from_weights(build_cddpm, cddpm[0], cddpm[1], device, part="unet")
        free = yield from guided_chain(conditional, conditional.schedule, n, digit, guidance, sampler, seed=seed)
    judge = load_classifier()[0].to(next(model.parameters()).device)
    read = [
        None if images is None else float(np.mean(embed(judge, images)[1].argmax(1) == digit))
        for images in (pushed, free)
    ]
    return GuidanceComparison(digit, pushed, free, read[0] or 0.0, read[1])


def classifier_sweep_job(
    ddpm: tuple[DDPMConfig, dict[str, np.ndarray]],
    noisy: tuple[NoisyClassifierConfig, dict[str, np.ndarray]],
    digit: int,
    scales: Sequence[float] = CLASSIFIER_SWEEP,
    n: int = 100,
    *,
    seed: int = 0,
    sampler: SamplerConfig = SAMPLER,
    device: str | None = None,
) -> Generator[SweepProgress, None, SweepResult]:
    """``classifier_guidance_sweep`` on models built from config and weights, judged by the shipped classifier."""
    model = model_from_weights(build_ddpm, ddpm[0], ddpm[1], device, part="unet")
    check_pair(model.schedule, noisy[0])
    classifier = model_from_weights(lambda c: NoisyClassifier(c.channels), noisy[0], noisy[1], device).eval()
    return (
        yield from classifier_guidance_sweep(model, classifier, digit, tuple(scales), n, seed=seed, sampler=sampler)
    )
