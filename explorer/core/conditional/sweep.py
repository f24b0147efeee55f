"""Guidance's trade-off, measured: for each w, how often the classifier reads the asked digit, and how varied
the samples are (mean pairwise distance in the classifier's feature space, and FID against the test
digits of that class). Every w starts from the same seeded noise, so the points differ by w alone.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.conditional.cddpm import ConditionalDDPM
from explorer.core.conditional.classifier_guidance import check_classifier_scale, sample_classifier_guided
from explorer.core.conditional.guidance import SAMPLER, check_guidance, guided_chain
from explorer.core.conditional.labels import check_digit
from explorer.core.diffusion.model import DDPM
from explorer.core.diffusion.sampler import ChainFrame, SamplerConfig
from explorer.core.evaluation.classifier import MNISTClassifier, embed, load_classifier
from explorer.core.evaluation.metrics import fid, mean_pairwise_distance
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning

SWEEP = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)  # the w of the panel's plot
CLASSIFIER_SWEEP = (0.0, 1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0)  # the s of classifier guidance's
MIN_SWEEP_N, MAX_SWEEP_N = 2, 2000  # FID and the pairwise distance need two samples
SWEEP_SHOWN = 16  # samples kept per point for the view


@dataclass(frozen=True)
class SweepPoint:
    """The samples drawn with one guidance weight w, as the classifier judges them."""

    guidance: float  # w for classifier-free guidance, s for classifier guidance
    accuracy: float  # share of samples (0..1) the classifier reads as the asked digit
    diversity: float  # mean pairwise distance of their classifier features
    fid: float  # FID against the test digits of the asked class (biased upwards for small n)
    samples: np.ndarray  # the first (<= SWEEP_SHOWN, 28, 28) in [0, 1]


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: one point per w, and the diversity of the real test digits of that class."""

    digit: int
    n: int
    points: list[SweepPoint]
    real_diversity: float  # mean pairwise distance of the test digits of ``digit``: the spread to aim for


@dataclass(frozen=True)
class SweepProgress:
    """Where the sweep is; ``point`` carries a point as soon as its w is done."""

    fraction: float
    stage: str
    point: SweepPoint | None = None

    @property
    def progress(self) -> float:
        return self.fraction

    def summary(self) -> str:
        return self.stage


def guidance_sweep(
    model: ConditionalDDPM,
    digit: int,
    guidances: Sequence[float] = SWEEP,
    n: int = 100,
    *,
    seed: int = 0,
    sampler: SamplerConfig = SAMPLER,
    classifier: MNISTClassifier | None = None,
) -> Generator[SweepProgress, None, SweepResult]:
    """Draw n samples of ``digit`` with each w in ``guidances`` and score them; yield after every chain
    step (and each finished point). ``classifier``: the judge (default: the shipped one)."""
    for w in guidances:
        check_guidance(w)

    def chain(w: float) -> Generator[ChainFrame, None, np.ndarray]:
        return guided_chain(model, model.schedule, n, int(digit), w, sampler, seed=seed)

    return (yield from scored_sweep(chain, "w", digit, guidances, n, next(model.parameters()).device, classifier))


def classifier_guidance_sweep(
    model: DDPM,
    noisy: nn.Module,
    digit: int,
    scales: Sequence[float] = CLASSIFIER_SWEEP,
    n: int = 100,
    *,
    seed: int = 0,
    sampler: SamplerConfig = SAMPLER,
    classifier: MNISTClassifier | None = None,
) -> Generator[SweepProgress, None, SweepResult]:
    """The same trade-off for classifier guidance: the unconditional DDPM pushed by the noisy classifier
    ``noisy`` with each scale s, from the same seeded noise as the cDDPM's sweep."""
    for s in scales:
        check_classifier_scale(s)
    digits = np.full(n, int(digit) if digit is not None else 0)

    def chain(s: float) -> Generator[ChainFrame, None, np.ndarray]:
        return sample_classifier_guided(model, noisy, digits, s, sampler, seed=seed)

    return (yield from scored_sweep(chain, "s", digit, scales, n, next(model.parameters()).device, classifier))


def scored_sweep(
    chain: Callable[[float], Generator[ChainFrame, None, np.ndarray]],
    symbol: str,
    digit: int,
    values: Sequence[float],
    n: int,
    device: torch.device,
    classifier: MNISTClassifier | None = None,
) -> Generator[SweepProgress, None, SweepResult]:
    """Run ``chain(value)`` for each value (a guidance weight or scale, written ``symbol``), and score each
    batch of n digits by the judge: accuracy, diversity, FID against the test digits of ``digit``."""
    if digit is None:
        raise ExplorerError("The sweep needs one digit to ask for.")
    check_digit(digit)
    if not MIN_SWEEP_N <= n <= MAX_SWEEP_N:
        raise ExplorerError(f"The sweep draws between {MIN_SWEEP_N} and {MAX_SWEEP_N} samples per {symbol}, not {n}.")
    net = (classifier if classifier is not None else load_classifier()[0]).to(device).eval()
    test = load_mnist("test")
    real, _ = embed(net, test.floats()[test.labels == digit])  # (~1000, 128)
    points: list[SweepPoint] = []
    for k, value in enumerate(values):
        frames = Returning(chain(float(value)))
        for frame in frames:
            yield SweepProgress((k + 0.95 * frame.progress) / len(values), f"{symbol} = {value:g}: {frame.summary()}")
        images = frames.value
        feats, probs = embed(net, images)
        point = SweepPoint(
            float(value),
            float(np.mean(probs.argmax(axis=1) == digit)),
            mean_pairwise_distance(feats),
            fid(feats, real),
            images[:SWEEP_SHOWN],
        )
        points.append(point)
        yield SweepProgress(
            (k + 1) / len(values),
            f"{symbol} = {value:g}: {100 * point.accuracy:.0f}% read as {digit}, diversity {point.diversity:.2f}",
            point,
        )
    return SweepResult(int(digit), n, points, mean_pairwise_distance(real))
