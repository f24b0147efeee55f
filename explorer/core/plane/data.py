"""The 2-D Lab's data: five presets, points read from / written to CSV, and a fingerprint.

Every model in the lab trains on one (N, 2) float32 array of points. The presets live in a
box of about [-3, 3]²; two of them (the ring of 8 Gaussians and the known mixture) are
Gaussian mixtures, so their exact density and score (also of the noised density at any σ)
can be drawn beside what a model learned (``mixture.py``).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.core.plane.mixture import GaussianMixture, sample_mixture
from explorer.core.runtime.atomic import atomic_write
from explorer.core.runtime.errors import DataError

PRESETS = ("ring", "moons", "spiral", "checkerboard", "mixture")
PRESET_TITLES = {
    "ring": "Ring of 8 Gaussians",
    "moons": "Two moons",
    "spiral": "Spiral",
    "checkerboard": "Checkerboard",
    "mixture": "Known Gaussian mixture",
}
MAX_POINTS = 100_000  # a CSV file or a drawing holds at most this many points
MAX_CSV_BYTES = 16 * 1024 * 1024  # 100,000 lines of two long floats fit well within it
BOX = 4.0  # presets lie inside [-BOX, BOX]²; the canvas opens on it
# Points of a preset the lab trains on. A model judged against fresh data inherits its training set's own
# distance from the truth, which shrinks as the set grows (docs/labs.md, round 6).
PRESET_POINTS = 8000

RING = GaussianMixture(
    means=np.array([[2.5 * math.cos(2 * math.pi * k / 8), 2.5 * math.sin(2 * math.pi * k / 8)] for k in range(8)]),
    stds=np.full(8, 0.25),
    weights=np.full(8, 1 / 8),
)
# Unequal weights on separated modes: what plain Langevin gets wrong and annealing gets right.
KNOWN_MIXTURE = GaussianMixture(
    means=np.array([[-1.8, -1.2], [1.8, -1.2], [0.0, 1.8]]),
    stds=np.array([0.45, 0.35, 0.3]),
    weights=np.array([0.6, 0.3, 0.1]),
)


@dataclass(frozen=True)
class PointSet:
    """Points (N, 2) float32 with where they came from: a preset's name or a file's name."""

    points: np.ndarray
    source: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.points)


def fingerprint(points: np.ndarray) -> str:
    """A short SHA-256 of the points as little-endian float32: the same points give the same
    hash on every machine, so a checkpoint can say exactly which data it was trained on."""
    data = np.ascontiguousarray(np.asarray(points, dtype="<f4"))
    return hashlib.sha256(data.tobytes()).hexdigest()[:16]


def preset_mixture(name: str) -> GaussianMixture | None:
    """The exact mixture behind a preset, or None where the density has no closed form here."""
    return {"ring": RING, "mixture": KNOWN_MIXTURE}.get(name)


def make_preset(name: str, n: int = PRESET_POINTS, seed: int = 0) -> np.ndarray:
    """``n`` points (float32, (n, 2)) of preset ``name``, reproducible with ``seed``."""
    if name not in PRESETS:
        raise DataError(f"Unknown data preset {name!r}; the presets are {', '.join(PRESETS)}.")
    if not 1 <= n <= MAX_POINTS:
        raise DataError(f"A data set holds 1 to {MAX_POINTS:,} points, not {n}.")
    rng = np.random.default_rng(seed)
    mix = preset_mixture(name)
    if mix is not None:
        return sample_mixture(mix, n, rng).astype(np.float32)
    if name == "moons":
        upper = rng.random(n) < 0.5
        angle = rng.uniform(0, math.pi, n)
        x = np.where(upper, np.cos(angle), 1 - np.cos(angle))
        y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
        points = 1.6 * (np.stack([x - 0.5, y - 0.25], 1)) + rng.normal(0, 0.08, (n, 2))
    elif name == "spiral":
        turn = 1.5 * math.pi * (1 + 2 * np.sqrt(rng.random(n)))  # sqrt: even density along the arm
        points = np.stack([turn * np.cos(turn), turn * np.sin(turn)], 1) / 5.0 + rng.normal(0, 0.08, (n, 2))
    else:  # checkerboard: 8 squares of a 4 × 4 board, side 1, inside [-2, 2]²
        col = rng.integers(0, 4, n)
        row = 2 * rng.integers(0, 2, n) + (col % 2)
        points = np.stack([col + rng.random(n), row + rng.random(n)], 1) - 2.0
    return points.astype(np.float32)


def load_points_csv(path: str | os.PathLike[str]) -> np.ndarray:
    """Points from a CSV file of ``x,y`` lines (an optional header first, blank lines skipped).

    A wrong line is one DataError naming the file and the line: "points.csv, line 7: expected
    two numbers x,y, found 'abc'". At most MAX_POINTS points.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"No points file at {str(path)!r}.")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise DataError(f"{path.name!r} is over {MAX_CSV_BYTES // 2**20} MiB: at most {MAX_POINTS:,} points are read.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name!r} is not a text (UTF-8) file: {exc.reason} at byte {exc.start}.") from exc
    except OSError as exc:
        raise DataError(f"Cannot read {path.name!r}: {exc.strerror}.") from exc
    rows: list[tuple[float, float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell.strip() for cell in line.strip().lstrip("\ufeff").split(",")]
        if cells == [""]:
            continue
        try:
            if len(cells) != 2:
                raise ValueError
            x, y = float(cells[0]), float(cells[1])
        except ValueError:
            if not rows and number == 1 and len(cells) == 2:
                continue  # a header such as "x,y"
            raise DataError(f"{path.name!r}, line {number}: expected two numbers x,y, found {line[:60]!r}.") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise DataError(f"{path.name!r}, line {number}: the point {line[:60]!r} is not finite.")
        if len(rows) == MAX_POINTS:
            raise DataError(
                f"{path.name!r} holds more than {MAX_POINTS:,} points (line {number}); "
                f"the lab takes at most {MAX_POINTS:,}."
            )
        rows.append((x, y))
    if not rows:
        raise DataError(f"{path.name!r} holds no points (expected lines of x,y).")
    return np.asarray(rows, dtype=np.float32)


def save_points_csv(path: str | os.PathLike[str], points: np.ndarray) -> Path:
    """Write ``points`` (N, 2) as ``x,y`` lines under a header, atomically; returns the path."""
    points = np.asarray(points, dtype=np.float32)  # the lab's points; 9 digits give each float32 back exactly
    if points.ndim != 2 or points.shape[1] != 2:
        raise DataError(f"Points to save must be an (N, 2) array, not shape {points.shape}.")
    if len(points) > MAX_POINTS:
        raise DataError(f"Cannot save {len(points):,} points: the lab keeps at most {MAX_POINTS:,}.")
    lines = ["x,y"] + [f"{x:.9g},{y:.9g}" for x, y in points.tolist()]
    return atomic_write(Path(path), ("\n".join(lines) + "\n").encode("utf-8"))


def load_data(spec: str, n: int = PRESET_POINTS, seed: int = 0) -> PointSet:
    """The CLI's ``--data PRESET|FILE.csv``: a preset's ``n`` points, or every point in the file."""
    if spec in PRESETS:
        return PointSet(make_preset(spec, n, seed), spec)
    if spec.lower().endswith(".csv"):
        return PointSet(load_points_csv(spec), Path(spec).name)
    raise DataError(f"--data takes a preset ({', '.join(PRESETS)}) or a .csv file of points, not {spec!r}.")
