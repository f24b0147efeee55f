"""The shipped record of ``gen-explorer eval all --record``: the last evaluation of the shipped checkpoints.

The Evaluate panel opens on it, so its table and cards are not empty before the learner has
run anything. Each checkpoint, and the judge, is identified by a prefix of its file's SHA-256:
a row whose model has changed since it was recorded is marked stale, not shown as current.
The file is JSON, written atomically beside the checkpoints; a few samples per row travel in
it as base64 uint8 so that the cards show digits too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from explorer.core.conditional.guidance import GUIDANCE
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.evaluation.classifier import CLASSIFIER_CHECKPOINT
from explorer.core.evaluation.evaluate import EvalResult, EvalRow
from explorer.core.runtime.atomic import atomic_write
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.paths import CHECKPOINTS

RECORD = CHECKPOINTS / "evaluation.json"
RECORDED_SAMPLES = 36  # per row: the panel's 6 x 6 grid
DIGEST_CHARS = 16  # hex digits of SHA-256 kept: enough to tell two checkpoints apart
JUDGE = "classifier"  # the judge's key among the digests
FORMAT = 1


@dataclass(frozen=True)
class RecordedEvaluation:
    """An evaluation read back from the record, with when it was made and what it scored."""

    result: EvalResult
    date: str  # ISO 8601 in UTC, to the second
    digests: dict[str, str]  # model name (and JUDGE) -> SHA-256 prefix of its checkpoint when recorded

    @property
    def day(self) -> str:
        return self.date[:10]


def file_digest(path: str | Path) -> str:
    """The first DIGEST_CHARS hex digits of the file's SHA-256 ("" if there is no such file);
    remembered while the file's size and modification time stay the same."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _digest(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:DIGEST_CHARS]


def _samples_json(images: np.ndarray) -> dict[str, object]:
    pixels = (np.clip(images[:RECORDED_SAMPLES], 0.0, 1.0) * 255).round().astype(np.uint8)  # (n, 28, 28)
    return {"shape": list(pixels.shape), "uint8_base64": base64.b64encode(pixels.tobytes()).decode("ascii")}


def _samples(entry: dict[str, Any]) -> np.ndarray:
    pixels = np.frombuffer(base64.b64decode(entry["uint8_base64"]), dtype=np.uint8)
    return pixels.reshape(entry["shape"]).astype(np.float32) / 255


def record_json(
    result: EvalResult, checkpoints: dict[str, Path], judge: Path = CLASSIFIER_CHECKPOINT, date: datetime | None = None
) -> bytes:
    """The record of ``result`` for the checkpoints it scored (model name -> file) and its judge."""
    date = date or datetime.now(timezone.utc)
    files = {**{name: Path(path) for name, path in checkpoints.items()}, JUDGE: Path(judge)}
    record = {
        "format": FORMAT,
        "made_by": "gen-explorer eval all --record; the Evaluate panel opens on it",
        "date": date.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "n": result.n,
        "seed": result.seed,
        "reference": result.reference,
        "judge": result.classifier,
        "ddpm_sampler": {
            "sampler": result.ddpm_sampler.sampler,
            "steps": result.ddpm_sampler.steps,
            "eta": result.ddpm_sampler.eta,
            "described": result.ddpm_sampler.describe(),
        },
        "guidance": result.guidance,
        "seconds": round(result.seconds, 1),
        **({} if result.embed_seconds is None else {"embed_seconds": result.embed_seconds}),
        "checkpoints": {name: {"file": path.name, "sha256": file_digest(path)} for name, path in files.items()},
        "missing": result.missing,
        "rows": [
            {
                "name": r.name,
                "n": r.n,
                "fid": r.fid,
                "kid": r.kid,
                "kid_std": r.kid_std,
                "score": r.score,
                "score_std": r.score_std,
                "histogram": [int(c) for c in r.histogram],
                "seconds": r.seconds,
                "samples": _samples_json(r.samples),
                "confidence": r.confidence,
                **({} if r.digit_accuracy is None else {"digit_accuracy": [float(a) for a in r.digit_accuracy]}),
            }
            for r in result.rows
        ],
    }
    return (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_record(
    path: str | Path, result: EvalResult, checkpoints: dict[str, Path], judge: Path = CLASSIFIER_CHECKPOINT
) -> Path:
    """Write the record of ``result`` to ``path`` atomically: a reader sees the old record or the new."""
    return atomic_write(path, record_json(result, checkpoints, judge))


def read_record(path: str | Path = RECORD) -> RecordedEvaluation | None:
    """The evaluation recorded at ``path``, or None where there is none; a file that cannot be read
    as a record is an ExplorerError that says so."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            EvalRow(
                r["name"],
                int(r["n"]),
                float(r["fid"]),
                float(r["kid"]),
                float(r["kid_std"]),
                float(r["score"]),
                float(r["score_std"]),
                np.asarray(r["histogram"], dtype=np.int64),
                _samples(r["samples"]),
                float(r["seconds"]),
                np.asarray(r["digit_accuracy"], dtype=np.float64) if "digit_accuracy" in r else None,
                None if r.get("confidence") is None else float(r["confidence"]),
            )
            for r in record["rows"]
        ]
        sampler = record["ddpm_sampler"]
        result = EvalResult(
            rows,
            dict(record["missing"]),
            int(record["n"]),
            int(record["seed"]),
            int(record["reference"]),
            str(record["judge"]),
            float(record["seconds"]),
            SamplerConfig(sampler["sampler"], int(sampler["steps"]), float(sampler["eta"])),
            float(record.get("guidance", GUIDANCE)),
            None if record.get("embed_seconds") is None else float(record["embed_seconds"]),
        )
        digests = {name: str(entry["sha256"]) for name, entry in record["checkpoints"].items()}
        return RecordedEvaluation(result, str(record["date"]), digests)
    except (OSError, ValueError, KeyError, TypeError, ExplorerError) as exc:  # ExplorerError: a bad sampler
        raise ExplorerError(f"{path} is not a readable evaluation record ({type(exc).__name__}: {exc}).") from exc


def stale_rows(
    recorded: RecordedEvaluation, checkpoints: dict[str, Path], judge: Path = CLASSIFIER_CHECKPOINT
) -> set[str]:
    """The recorded rows that no longer describe the files: a model whose checkpoint's digest changed,
    and every row if the judge changed."""
    names = {row.name for row in recorded.result.rows}
    if file_digest(judge) != recorded.digests.get(JUDGE):
        return names
    return {name for name in names & set(checkpoints) if file_digest(checkpoints[name]) != recorded.digests.get(name)}
