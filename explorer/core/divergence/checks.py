"""Checking what a learner typed, and normalising it: every refusal is a DistributionError."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
from numpy.typing import ArrayLike

from explorer.core.runtime.errors import ExplorerError

Base = Literal["bits", "nats"]

# below this, floats are subnormal and keep fewer significant bits, so logs are taken another way
_SMALLEST_NORMAL = float(np.finfo(float).tiny)


class DistributionError(ExplorerError, ValueError):
    """A distribution or parameter a learner typed that cannot be used, with the reason.

    A ValueError too, so code that catches bad numbers in general also catches these.
    """


def _too_large() -> DistributionError:
    # ∞ would wrongly say that q is 0 where p is not, so an overflowing KL is refused instead
    return DistributionError(
        "KL(p‖q) is finite but larger than the largest floating-point number (about 1.8e308): "
        "p is too far from q, or too wide for q's σ"
    )


def _floats(values: object) -> np.ndarray | None:
    """``values`` as a float array, or None where they are not real numbers (text, ragged lists, complex)."""
    try:
        if not np.iscomplexobj(cast(ArrayLike, values)):  # np.asarray would drop the imaginary part with only a warning
            return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        pass
    return None


def _reals(values: object, what: str, positive: bool = False) -> np.ndarray:
    """``values`` as a float array, refusing text, nan, ±∞ and, when ``positive``, anything ≤ 0."""
    if values is None:  # np.asarray would quietly turn it into nan
        raise DistributionError(f"{what} must be a number, not None")
    x = _floats(values)
    if x is None:
        raise DistributionError(f"{what} must be a number, not {values!r}")
    bad = x[~np.isfinite(x)]
    if bad.size:
        raise DistributionError(f"{what} must be a finite number, not {bad[0]:g}")
    bad = x[x <= 0] if positive else bad
    if bad.size:
        raise DistributionError(f"{what} must be greater than 0, not {bad[0]:g}")
    return x


def _real(value: object, what: str, positive: bool = False) -> float:
    """One number checked as by ``_reals``."""
    x = _reals(value, what, positive)
    if x.ndim:
        raise DistributionError(f"{what} must be a single number, not {value!r}")
    return float(x)


def _whole(value: object, what: str) -> int:
    """``value`` as an int, so 2.5, nan or text is refused here rather than deep inside numpy."""
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise DistributionError(f"{what} must be a whole number, not {value!r}") from None


def _points(x: np.ndarray | Sequence[float] | float) -> np.ndarray:
    """Points at which to evaluate a density: ±∞ is allowed (density 0), nan has no answer and is refused."""
    points = _floats(x)
    if points is None:
        raise DistributionError(f"x must be numbers, not {x!r}")
    if np.any(np.isnan(points)):
        raise DistributionError("x has a value that is not a number")
    return points


def log_base(base: Base) -> float:
    """ln of the logarithm's base, to convert nats into the requested units."""
    if base == "bits":
        return math.log(2.0)
    if base == "nats":
        return 1.0
    raise DistributionError(f"units must be 'bits' or 'nats', not {base!r}")


def _checked(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """The entries a learner gave for a distribution, refused with the reason if they cannot be one."""
    x = _floats(values)
    if x is None:
        raise DistributionError(f"{name} must be a list of numbers, not {values!r}")
    if x.ndim != 1 or x.size == 0:
        raise DistributionError(f"{name} must be a non-empty list of probabilities")
    bad = np.flatnonzero(np.isnan(x))
    if bad.size:
        raise DistributionError(f"{name} has a value that is not a number in category {bad[0] + 1}")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise DistributionError(f"{name} is infinite in category {bad[0] + 1}")
    bad = np.flatnonzero(x < 0)
    if bad.size:
        raise DistributionError(
            f"{name} is negative ({x[bad[0]]:g}) in category {bad[0] + 1}: probabilities cannot be negative"
        )
    if not np.any(x > 0):
        raise DistributionError(f"{name} is all zeros: at least one category needs some probability")
    return x


def _normalise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """p = x / Σx, log p (−∞ exactly where x is 0) and whether x needed rescaling, for checked x.

    Dividing by max x first keeps the sum finite for entries near the largest float.  Where p
    underflows (x tiny beside max x), log p is taken from x itself, so a category with some mass
    keeps a finite log p and the KL terms stay exact.
    """
    top = float(x.max())
    scaled = x / top
    total = float(scaled.sum())
    p = scaled / total
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
        faint = (x > 0) & (p < _SMALLEST_NORMAL)
        log_p[faint] = np.log(x[faint]) - math.log(top) - math.log(total)
    return p, log_p, not math.isclose(top * total, 1.0, rel_tol=0.0, abs_tol=1e-9)


def as_distribution(values: Sequence[float] | np.ndarray, name: str = "p") -> tuple[np.ndarray, bool]:
    """Check a vector of probabilities and normalise it to sum to 1.

    Returns the normalised vector and whether it had to be rescaled, so the UI can say so.
    """
    p, _, rescaled = _normalise(_checked(values, name))
    return p, rescaled
