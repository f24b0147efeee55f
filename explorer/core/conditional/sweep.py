"""Guidance's trade-off, measured: for each w, how often the classifier reads the asked digit, and how varied
the samples are (mean pairwise distance in the classifier's feature space, and FID against the test
digits of that class). Every w starts from the same seeded noise, so the points differ by w alone.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core.conditional.cddpm import ConditionalDDPM
from explorer.core.conditional.guidance import SAMPLER, check_guidance, guided_chain
from explorer.core.conditional.labels import check_digit
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.evaluation.classifier import MNISTClassifier, embed, load_classifier
from explorer.core.evaluation.metrics import fid, mean_pairwise_distance
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning

SWEEP = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)  # the w of the panel's plot
MIN_SWEEP_N, MAX_SWEEP_N = 2, 2000  # FID and the pairwise distance need two samples
SWEEP_SHOWN = 16  # samples kept per point for the view


@dataclass(frozen=True)
class SweepPoint:
    """The samples drawn with one guidance weight w, as the classifier judges them."""

    guidance: float
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
    if digit is None:
        raise ExplorerError("The sweep needs one digit to ask for.")
    check_digit(digit)
    for w in guidances:
        check_guidance(w)
    if not MIN_SWEEP_N <= n <= MAX_SWEEP_N:
        raise ExplorerError(f"The sweep draws between {MIN_SWEEP_N} and {MAX_SWEEP_N} samples per w, not {n}.")
    dev = next(model.parameters()).device
    net = (classifier if classifier is not None else load_classifier()[0]).to(dev).eval()
    test = load_mnist("test")
    real, _ = embed(net, test.floats()[test.labels == digit])  # (~1000, 128)
    points: list[SweepPoint] = []
    for k, w in enumerate(guidances):
        chain = Returning(guided_chain(model, model.schedule, n, int(digit), float(w), sampler, seed=seed))
        for frame in chain:
            yield SweepProgress((k + 0.95 * frame.progress) / len(guidances), f"w = {w:g}: {frame.summary()}")
        images = chain.value
        feats, probs = embed(net, images)
        point = SweepPoint(
            float(w),
            float(np.mean(probs.argmax(axis=1) == digit)),
            mean_pairwise_distance(feats),
            fid(feats, real),
            images[:SWEEP_SHOWN],
        )
        points.append(point)
        yield SweepProgress(
            (k + 1) / len(guidances),
            f"w = {w:g}: {100 * point.accuracy:.0f}% read as {digit}, diversity {point.diversity:.2f}",
            point,
        )
    return SweepResult(int(digit), n, points, mean_pairwise_distance(real))
