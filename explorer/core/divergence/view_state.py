"""The Divergences panel's state: the units, the discrete tab's p, q and preset, the continuous tab's two
densities, and the fit tab's p and start.

The units switch, the bars, the typed values, K, the preset list and every tab's sliders write here as the learner
edits them; the tabs draw from this state, never from another section's widget, so a test sets the state and
reads what each tab shows without any widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from explorer.core.divergence.checks import Base
from explorer.core.divergence.discrete import MAX_CATEGORIES, resize_distribution, set_probability
from explorer.core.divergence.gaussian import GaussianMixture
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.limits import bounded, one_of, validate

PRESETS: dict[str, tuple[list[float], list[float], str]] = {
    "Fair coin vs 0.2/0.8 coin": (
        [0.5, 0.5],
        [0.2, 0.8],
        "A fair coin carries 1 bit (0.693 nats); the 0.2/0.8 coin only 0.722 bits (0.500 nats). Coding fair "
        "flips with the 0.2/0.8 model costs H(p,q) = 1.322 bits (0.916 nats): the extra 0.322 bits (0.223 nats) "
        "is KL(p‖q).",
    ),
    "Uniform vs peaked": (
        [1 / 6] * 6,
        [0.05, 0.05, 0.05, 0.7, 0.1, 0.05],
        "Uniform p has the most entropy possible for 6 categories (log 6). Compare KL(p‖q) with KL(q‖p): "
        "KL is not symmetric.",
    ),
    "Disjoint supports": (
        [0.5, 0.5, 0.0, 0.0],
        [0.0, 0.0, 0.5, 0.5],
        "p and q never agree on any outcome: both KLs are infinite, while JS is exactly 1 bit (ln 2 = 0.693 "
        "nats), its maximum.",
    ),
}
FIRST_PRESET = "Fair coin vs 0.2/0.8 coin"
BIMODAL_FROM = 1.25  # the smallest d: an equal mixture of N(±d/2, 0.6²) has two bumps only for d > 2·0.6 = 1.2
BUMP_SIGMA = 0.6


def _first(which: int) -> np.ndarray:
    return np.array(PRESETS[FIRST_PRESET][which])


@dataclass(eq=False)
class UnitsState(Evented):
    """The units every number is shown in: bits (log base 2) or nats (natural log)."""

    units: Base = one_of("bits", ("bits", "nats"))  # noqa: RUF009  # a field() with its choices, not a shared default


@dataclass(eq=False)
class DiscreteState(UnitsState):
    """p and q over K categories, the preset they came from (None: edited since), and the note on the last
    change (empty: the editing rule is shown)."""

    p: np.ndarray = field(default_factory=lambda: _first(0))
    q: np.ndarray = field(default_factory=lambda: _first(1))
    preset: str | None = FIRST_PRESET
    note: str = PRESETS[FIRST_PRESET][2]

    @property
    def k(self) -> int:
        return int(self.p.size)

    def apply_preset(self, name: str) -> None:
        """Load one of PRESETS into p, q and K, with what it shows as the note."""
        p, q, story = PRESETS[name]
        self.update(p=np.array(p), q=np.array(q), preset=name, note=story)

    def resize(self, k: int) -> None:
        """K categories: new ones start at 1/K, the others rescaled to keep the sum 1."""
        if not 2 <= k <= MAX_CATEGORIES:
            raise ValueError(f"K must be from 2 to {MAX_CATEGORIES}, not {k}")
        note = f"K = {k}: new categories start at 1/{k}, the others were rescaled to keep the sum 1."
        self.update(p=resize_distribution(self.p, k), q=resize_distribution(self.q, k), preset=None, note=note)

    def set_value(self, name: str, index: int, value: float) -> None:
        """Category ``index`` of p or q (``name``) takes ``value``; the others keep their proportions."""
        if name == "p":
            self.update(p=set_probability(self.p, index, value), preset=None, note="")
        else:
            self.update(q=set_probability(self.q, index, value), preset=None, note="")


@dataclass(eq=False)
class FitState(UnitsState):
    """The fit tab's two-bump p (the ``distance`` d between its bumps) and q's starting μ and σ."""

    distance: float = bounded(4.0, BIMODAL_FROM, 7.0)
    start_mu: float = bounded(1.0, -3.0, 3.0)
    start_sigma: float = bounded(0.5, 0.3, 3.0)

    def target(self) -> GaussianMixture:
        """The two-bump p the fits aim at: ½N(−d/2, 0.6²) + ½N(d/2, 0.6²)."""
        d = self.distance
        return GaussianMixture((0.5, 0.5), (-d / 2, d / 2), (BUMP_SIGMA, BUMP_SIGMA))


@dataclass(frozen=True)
class MixtureSettings:
    """The continuous tab's p or q: N(μ₁, σ₁²), or with ``two_bumps`` the mixture (1 − w₂)·N(μ₁, σ₁²) + w₂·N(μ₂, σ₂²).
    Frozen, so a slider's step replaces it whole and the state announces one changed density."""

    mu1: float = bounded(0.0, -5.0, 5.0)
    sigma1: float = bounded(1.0, 0.2, 3.0)
    two_bumps: bool = False
    w2: float = bounded(0.5, 0.0, 1.0)
    mu2: float = bounded(2.5, -5.0, 5.0)
    sigma2: float = bounded(0.6, 0.2, 3.0)

    def __post_init__(self) -> None:
        validate(self)

    def mixture(self) -> GaussianMixture:
        """The density these settings describe (bump 2's settings are kept, unused, while it is off)."""
        if not self.two_bumps:
            return GaussianMixture.gaussian(self.mu1, self.sigma1)
        return GaussianMixture((1.0 - self.w2, self.w2), (self.mu1, self.mu2), (self.sigma1, self.sigma2))


Density = Literal["p", "q"]


@dataclass(eq=False)
class ContinuousState(UnitsState):
    """The continuous tab's two densities, p and q, each one Gaussian or a mixture of two."""

    continuous_p: MixtureSettings = field(default_factory=lambda: MixtureSettings(mu1=1.0, sigma1=0.5, mu2=-2.0))
    continuous_q: MixtureSettings = field(default_factory=lambda: MixtureSettings(mu1=0.0, sigma1=1.0, mu2=2.5))

    def set_density(self, name: Density, **settings: Any) -> None:
        """p or q (``name``) takes the given ``settings`` (``mu1=…``, ``two_bumps=…``), keeping the others."""
        key = f"continuous_{name}"
        self.update(**{key: replace(getattr(self, key), **settings)})


@dataclass(eq=False)
class DivergenceState(DiscreteState, ContinuousState, FitState):
    """What the panel shows: the ``units`` of every number, the discrete tab's p and q, the continuous tab's
    densities, the fit's settings."""
