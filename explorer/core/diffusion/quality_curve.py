"""Quality against cost: the project's FID of the shipped DDPM drawn by each sampler at a few NFE, from the same noise.

Practitioners' first question about a diffusion model is which sampler to use with how many network
evaluations. This measures it on the shipped DDPM: every point draws the same N digits' x_T (the same
seed), embeds them with the project's MNIST classifier and scores FID against the 10,000 test digits,
exactly as ``gen-explorer eval`` does. The record lives beside the checkpoints, so the Diffusion panel
opens on it; measuring takes tens of minutes on a CPU (``benchmarks/sampler_quality.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from explorer.core.diffusion.sampler import SAMPLER_NAMES, SamplerConfig
from explorer.core.runtime.atomic import atomic_write
from explorer.core.runtime.paths import CHECKPOINTS

if TYPE_CHECKING:
    from explorer.core.diffusion.model import DDPM
    from explorer.core.evaluation.classifier import MNISTClassifier

RECORD = CHECKPOINTS / "sampler_quality.json"
FORMAT = 1


@dataclass(frozen=True)
class CurvePoint:
    """One sampler at one cost: its FID and the classifier's mean confidence on its N digits."""

    sampler: str
    nfe: int  # network evaluations per digit, as counted by SamplerConfig.nfe
    eta: float  # DDIM's noise (0 for the ODE solvers)
    n: int
    fid: float
    confidence: float
    seconds: float  # to draw the N digits

    @property
    def label(self) -> str:
        name = SAMPLER_NAMES[self.sampler]
        return f"{name}, η = {self.eta:g}" if self.sampler == "ddim" else name


@dataclass(frozen=True)
class QualityCurve:
    """Every measured point, with what they were measured on."""

    points: tuple[CurvePoint, ...]
    seed: int
    checkpoint: str  # SHA-256 prefix of the DDPM scored
    date: str
    reference: dict[str, object]  # the 1000-step DDPM's line: {"fid", "n", "source"}; {} if not known
    floor: dict[str, float]  # FID of N real training digits, per N: {"5000": 2.21, ...}

    def series(self, n: int) -> dict[str, list[CurvePoint]]:
        """The points at sample size n, grouped by label (sampler and η), each sorted by NFE."""
        out: dict[str, list[CurvePoint]] = {}
        for p in sorted(self.points, key=lambda p: p.nfe):
            if p.n == n:
                out.setdefault(p.label, []).append(p)
        return out

    def sizes(self) -> list[int]:
        return sorted({p.n for p in self.points})


def curve_json(curve: QualityCurve) -> dict[str, object]:
    return {
        "format": FORMAT,
        "made_by": "benchmarks/sampler_quality.py; the Diffusion panel opens on it",
        "date": curve.date,
        "seed": curve.seed,
        "checkpoint": curve.checkpoint,
        "reference": curve.reference,
        "floor": curve.floor,
        "points": [asdict(p) for p in curve.points],
    }


def write_curve(path: str | Path, curve: QualityCurve) -> None:
    atomic_write(Path(path), (json.dumps(curve_json(curve), indent=1, ensure_ascii=False) + "\n").encode())


def read_curve(path: str | Path = RECORD) -> QualityCurve | None:
    """The recorded curve, or None if there is none or it cannot be read (the panel then says so)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        points = tuple(
            CurvePoint(
                str(p["sampler"]),
                int(p["nfe"]),
                float(p["eta"]),
                int(p["n"]),
                float(p["fid"]),
                float(p["confidence"]),
                float(p["seconds"]),
            )
            for p in data["points"]
        )
        if any(p.sampler not in SAMPLER_NAMES for p in points):
            return None
        return QualityCurve(
            points,
            int(data["seed"]),
            str(data["checkpoint"]),
            str(data["date"]),
            dict(data.get("reference") or {}),
            {str(k): float(v) for k, v in data["floor"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class CurveProgress:
    text: str
    point: CurvePoint | None = None


def measure_curve(
    model: DDPM,
    samplers: Iterable[tuple[SamplerConfig, int]],
    reference: np.ndarray,
    judge: MNISTClassifier,
    *,
    seed: int = 0,
) -> Generator[CurveProgress, None, list[CurvePoint]]:
    """Draw ``n`` digits with each (sampler, n) from the same seed and score them against the ``reference``
    features (the test digits embedded by ``judge``); yields each point as it is measured."""
    from explorer.core.evaluation.classifier import embed
    from explorer.core.evaluation.metrics import fid
    from explorer.core.families import FAMILIES
    from explorer.core.runtime.jobs import run_to_end

    T = model.schedule.T
    points: list[CurvePoint] = []
    for sampler, n in samplers:
        yield CurveProgress(f"drawing {n} digits by {sampler.describe()}")
        t0 = time.time()
        images = run_to_end(FAMILIES["ddpm"].draw(model, n, seed, sampler=sampler))
        seconds = time.time() - t0
        feats, probs = embed(judge, images)
        point = CurvePoint(
            sampler.sampler,
            sampler.nfe(T),
            sampler.eta,
            n,
            fid(feats, reference),
            float(probs.max(axis=1).mean()),
            seconds,
        )
        points.append(point)
        yield CurveProgress(f"{point.label} at {point.nfe} NFE, N = {n}: FID {point.fid:.2f}", point)
    return points


def today() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
